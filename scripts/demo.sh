#!/usr/bin/env bash
# Builds and runs the digits demo (examples/digits_demo.cpp): Taylor, MMSE, Monte Carlo and
# control-variate estimates of robustness on the 450 test digits, side by side.
# Usage: bash scripts/demo.sh [digits_demo options, e.g. --sigma 0.2 --network tanh]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${PROBUST_JOBS:-2}" --target digits_demo
./build/examples/digits_demo "$@"
