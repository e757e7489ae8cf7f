#!/usr/bin/env bash
# Regenerates the README figures (docs/images/*.png) and their data: probust-cli on the first
# 300 bundled digits with the ReLU network at σ ∈ {0.05, 0.1, 0.2, 0.4}, Taylor, MMSE, Monte
# Carlo and control variates, then examples/python/plot_results.py (needs python3-matplotlib).
# Takes about a minute on 2 cores. Usage: bash scripts/figures.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh python3-matplotlib

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${PROBUST_JOBS:-2}" --target probust_cli
results=$(mktemp -d)/digits_relu.csv
./build/examples/cli/probust-cli estimate \
  --model examples/data/digits_relu_64_128_64_10.model \
  --inputs examples/data/digits.csv --label-column last --input-scale 0.0625 --rows 0:300 \
  --estimators taylor,mmse,monte_carlo,control_variate --sigmas 0.05,0.1,0.2,0.4 \
  --output "$results"
/usr/bin/python3 examples/python/plot_results.py "$results" --out-dir docs/images
./build/examples/cli/probust-cli summary "$results" --sigma 0.1 --top 5
