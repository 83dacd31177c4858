#!/usr/bin/env bash
# Installs exactly the Debian packages sgpbench needs that are missing. Idempotent.
#   scripts/deps.sh          build + run dependencies
#   scripts/deps.sh --test   also the test-only tools (python3-numpy, clang for the fuzzers, Slurm,
#                            munge and GNU parallel for tests/e2e_slurm.sh, rsvg-convert from
#                            librsvg2-bin to rasterise the figures)
set -euo pipefail
pkgs=(cmake make gcc pkg-config git libmujoco-dev libglfw3-dev libpng-dev libopenblas-dev libcjson-dev libhdf5-dev)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(python3 python3-numpy python3-h5py clang libclang-rt-14-dev xvfb xauth slurm-wlm munge parallel librsvg2-bin)
fi
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
