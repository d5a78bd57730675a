#!/usr/bin/env bash
# Regenerate the pinned, hashed lock files in requirements/ from pyproject.toml. This is the one command that changes
# the versions installed by ./scripts/setup.sh (and so by CI); commit the lock files it writes.
#
#   ./scripts/lock.sh                          keep every current pin, only resolve what pyproject.toml changed
#   ./scripts/lock.sh --upgrade                take the newest releases that pyproject.toml's ranges allow
#   ./scripts/lock.sh --upgrade-package NAME   move only NAME (and what it needs); other options also go to uv
#
# Inputs: pyproject.toml (dependencies, extras, [build-system] requires), requirements/pip.in, requirements/tools.in.
# What it writes, all for CPython 3.11 on Linux x86_64, each pin with the sha256 of every file of that release:
#   requirements/dev.lock     the `dev` extra (with `server` and `plot`): what setup.sh, the tests and CI install
#   requirements/server.lock  the `server` extra only, for a production install; its pins are taken from dev.lock,
#                             so production runs exactly the versions the tests ran with
#   requirements/pip.lock     pip itself, installed into each venv first so that one pip version does the installing
#   requirements/tools.lock   uv, the compiler used here, installed into .venv-tools/ (never into .venv/)
# The build backend of the project ([build-system] requires, i.e. setuptools) is locked into dev.lock and server.lock
# too, because setup.sh installs the project with --no-build-isolation: nothing unpinned is downloaded. (wheel is not
# needed: setuptools >= 70.1 builds wheels, editable ones included, by itself.)
#
# Why uv (`uv pip compile --generate-hashes`) rather than pip-tools' pip-compile: the target is explicit
# (--python-version / --python-platform) instead of whatever interpreter runs the compile, it resolves the
# self-referencing `dev` extra (cat-engine[server,plot]) natively, it is one pinned wheel with no dependencies
# (pip-tools depends on pip's internals, so a pip upgrade can break it), and it is fast. uv has no "unsafe" packages:
# setuptools and pip are locked like anything else, so pip-compile's --allow-unsafe has no counterpart here.
# Markers are kept (--no-strip-markers) so that one lock fits every 3.11.x (e.g. redis' async-timeout, needed only
# before 3.11.3).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
TOOLS=.venv-tools

# 1. The compiler, from its own lock (bootstrapped with the newest uv only if tools.lock does not exist yet).
if [ ! -x "$TOOLS/bin/python" ]; then
    "$PYTHON" -m venv "$TOOLS"
fi
if [ -f requirements/tools.lock ]; then
    want="$(cat requirements/pip.lock requirements/tools.lock | sha256sum)"
    if [ "$(cat "$TOOLS/.lock-stamp" 2>/dev/null)" != "$want" ]; then
        "$TOOLS/bin/python" -m pip install --quiet --require-hashes --no-deps -r requirements/pip.lock
        "$TOOLS/bin/python" -m pip install --quiet --require-hashes -r requirements/tools.lock
        echo "$want" >"$TOOLS/.lock-stamp"
    fi
else
    "$TOOLS/bin/python" -m pip install --quiet uv
fi

uv_compile() {
    # uv_compile OUTPUT SOURCE... [OPTIONS]: one lock file for CPython 3.11 on Linux x86_64
    local out="$1"
    shift
    "$TOOLS/bin/uv" pip compile --quiet --generate-hashes --no-strip-markers \
        --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
        --custom-compile-command ./scripts/lock.sh --output-file "$out" "$@"
}

# The build backend's requirements, read from pyproject.toml so that they are not written down twice.
build_requires="$("$TOOLS/bin/python" -c '
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))')"

uv_compile requirements/tools.lock requirements/tools.in "$@"
uv_compile requirements/pip.lock requirements/pip.in "$@"
echo "$build_requires" | uv_compile requirements/dev.lock pyproject.toml - --extra dev "$@"
echo "$build_requires" |
    uv_compile requirements/server.lock pyproject.toml - --extra server -c requirements/dev.lock "$@"
echo "requirements/*.lock written; ./scripts/setup.sh installs the new pins (review and commit the lock files)"
