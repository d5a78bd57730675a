#!/usr/bin/env bash
# The browser tests (tests/browser/) drive Debian's Chromium through Playwright (nothing is downloaded at run
# time); this makes sure /usr/bin/chromium is there, installing Debian's package when it is missing.
set -euo pipefail
if [ -x "${CAT_CHROMIUM:-/usr/bin/chromium}" ]; then
    exit 0
fi
echo "chromium not found: installing Debian's chromium package" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x "${CAT_CHROMIUM:-/usr/bin/chromium}" ]
