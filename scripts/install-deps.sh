#!/usr/bin/env bash
# Installs the build dependencies of probust with apt, only those that are missing.
# Usage: bash scripts/install-deps.sh [extra-package ...]
set -euo pipefail

packages=(cmake make g++ libeigen3-dev libboost-dev catch2 nlohmann-json3-dev libcli11-dev "$@")

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]}, and apt-get is not available;" \
       "install them with your package manager" >&2
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
