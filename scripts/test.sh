#!/usr/bin/env bash
# Configures, builds and tests probust in build/ (Release). Usage: bash scripts/test.sh
# Extra arguments are passed to the CMake configure step, e.g. -DPROBUST_WERROR=ON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

build_dir=${PROBUST_BUILD_DIR:-build}
jobs=${PROBUST_JOBS:-2}

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest --output-on-failure -j "$jobs"
