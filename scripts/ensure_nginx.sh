#!/usr/bin/env bash
# The deployment tests run Debian's nginx on free loopback ports in front of private server processes (the shipped
# site of deploy/nginx, rendered with those ports) and check the shipped config with `nginx -t`; this makes sure
# the binary is there, installing Debian's package when it is missing (never starting its service).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
echo "nginx not found: installing Debian's nginx-light package" >&2
./scripts/apt_install_quiet.sh nginx-light
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]
