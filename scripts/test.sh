#!/usr/bin/env bash
# Set up and run every check: lint, format, types, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "== ruff check" && .venv/bin/ruff check .
echo "== ruff format --check" && .venv/bin/ruff format --check .
echo "== mypy (strict, core)" && .venv/bin/mypy
echo "== pytest" && .venv/bin/pytest -q "$@"
