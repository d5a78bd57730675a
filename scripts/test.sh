#!/usr/bin/env bash
# Set up and run every check: lint, format, types, and the whole test suite, browser tests in Debian's Chromium
# included (the suite starts private
# redis-server and server processes on free loopback ports, and stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/ensure_redis.sh
./scripts/ensure_chromium.sh
./scripts/ensure_node.sh
./scripts/ensure_nginx.sh
./scripts/ensure_prometheus.sh
echo "== ruff check" && .venv/bin/ruff check .
echo "== ruff format --check" && .venv/bin/ruff format --check .
echo "== mypy (strict: cat_engine, load_tests, tests, benchmarks, item_pools, server.py)" && .venv/bin/mypy
echo "== pytest" && .venv/bin/pytest -q "$@"
