#!/usr/bin/env bash
# Set up and run the main job. Until the live server lands, that is the simulation study of the demo battery:
# it prints the report and writes plots into out/simulation/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/cat-sim --battery item_pools/cact_demo.toml --examinees "${EXAMINEES:-1000}" --seed "${SEED:-1}" \
    --plot out/simulation "$@"
echo "Plots: $(pwd)/out/simulation/*.png"
