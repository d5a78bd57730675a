#!/usr/bin/env bash
# The monitoring tests check the shipped scrape config and alert rules with promtool and run Debian's Prometheus on
# a free loopback port to scrape private server processes; this makes sure both binaries are there, installing
# Debian's package when either is missing (never starting its service).
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
echo "prometheus or promtool not found: installing Debian's prometheus package" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
# the package's service must not start (the tests start their own on loopback ports): a policy-rc.d that denies
# every start while it installs, unless the machine has its own
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY"
    trap '$SUDO rm -f "$POLICY"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v prometheus >/dev/null
command -v promtool >/dev/null
