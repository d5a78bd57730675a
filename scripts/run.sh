#!/usr/bin/env bash
# Set up and run the main job: the live CAT server on its embedded default (in-memory store, one process, a demo
# room). It prints where to point a browser and the admin, proctor and candidate tokens. Settings come from the
# environment (README, Settings); with REDIS_URL set, state lives in Redis instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python server.py "$@"
