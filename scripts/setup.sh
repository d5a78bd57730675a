#!/usr/bin/env bash
# Create .venv (if missing) and install exactly the pinned, hashed versions of requirements/dev.lock (the `dev` extra,
# with `server` and `plot`, and the build backend), then the project itself, editable, without touching its
# dependencies. Nothing unpinned is downloaded. To change the pins: ./scripts/lock.sh (README, "Dependencies").
# Re-running is cheap: it stops at once while pip.lock, dev.lock and pyproject.toml are what the last successful run
# installed (their hash is kept in .venv/.setup-stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
STAMP=.venv/.setup-stamp
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
want="$(cat requirements/pip.lock requirements/dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exit 0
fi
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "setup.sh: warning: .venv is not Python 3.11; requirements/*.lock are resolved for 3.11" >&2
fi
rm -f "$STAMP"
.venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/pip.lock
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/dev.lock
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
echo "$want" >"$STAMP"
