#!/usr/bin/env bash
# Builds and runs the MVN demo. Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${PROBUST_JOBS:-2}" --target mvn_demo
./build/examples/mvn_demo
