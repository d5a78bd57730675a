#!/usr/bin/env bash
# The monitoring tests check the shipped scrape config and alert rules with promtool and run Debian's Prometheus on
# a free loopback port to scrape private server processes; this makes sure both binaries are there, installing
# Debian's package when either is missing (never starting its service).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
echo "prometheus or promtool not found: installing Debian's prometheus package" >&2
./scripts/apt_install_quiet.sh prometheus
command -v prometheus >/dev/null
command -v promtool >/dev/null
