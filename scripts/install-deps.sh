#!/usr/bin/env bash
# Installs the Debian 12 packages normcheck needs, only those that are missing, so a
# second run costs a dpkg query and nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libgmp-dev libmpfr-dev
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev libdnnl-dev ocl-icd-opencl-dev
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  nodejs npm chromium
  python3-dev pybind11-dev python3-numpy python3-pytest python3-torch
)

# Commands that satisfy a package another way: a NodeSource nodejs bundles npm and
# conflicts with Debian's npm package, so an npm already on PATH counts as installed.
declare -A provided_by_command=([nodejs]=node [npm]=npm [chromium]=chromium)

missing=()
for p in "${packages[@]}"; do
  if [[ -n "${provided_by_command[$p]:-}" ]] && command -v "${provided_by_command[$p]}" >/dev/null; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "normcheck: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The report's charting bundles and test tools (report/web, pinned by its
# package-lock.json): `npm ci` only when node_modules is missing or older than the lock.
web="$(cd "$(dirname "$0")/.." && pwd)/report/web"
stamp="$web/node_modules/.normcheck-package-lock.json"
if ! cmp -s "$web/package-lock.json" "$stamp" 2>/dev/null; then
  echo "normcheck: npm ci in $web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$web/package-lock.json" "$stamp"
fi
