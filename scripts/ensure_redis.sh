#!/usr/bin/env bash
# The tests start their own private redis-server and a private Redis Cluster (3 masters + 3 replicas, built with
# redis-cli --cluster create) on free loopback ports (they never touch a shared Redis); this makes sure both
# binaries are there, installing Debian's package when either is missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    exit 0
fi
echo "redis-server or redis-cli not found: installing Debian's redis-server package" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server >/dev/null
command -v redis-cli >/dev/null
