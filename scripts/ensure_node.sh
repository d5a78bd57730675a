#!/usr/bin/env bash
# The page scripts' own tests (tests/js/, run by tests/test_pages_js.py) need Node.js, and nothing from npm; this
# makes sure `node` is there, installing Debian's nodejs package when it is missing.
set -euo pipefail
if command -v node >/dev/null 2>&1; then
    exit 0
fi
echo "node not found: installing Debian's nodejs package" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs >/dev/null
command -v node >/dev/null
