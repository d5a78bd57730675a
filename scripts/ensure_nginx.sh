#!/usr/bin/env bash
# The deployment tests run Debian's nginx on free loopback ports in front of private server processes (the shipped
# site of deploy/nginx, rendered with those ports) and check the shipped config with `nginx -t`; this makes sure
# the binary is there, installing Debian's package when it is missing (never starting its service).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
echo "nginx not found: installing Debian's nginx-light package" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
# the package's service must not start (the tests start their own on loopback ports): a policy-rc.d that denies
# every start while it installs, unless the machine has its own
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY"
    trap '$SUDO rm -f "$POLICY"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]
