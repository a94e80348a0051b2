#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests and benchmarks need, only when one
# is missing. Idempotent and non-interactive; needs root (or sudo) only to install.
# With --fuzz, also clang 14 and its libFuzzer/sanitizer runtimes.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libtorch-dev libopencv-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
  libssl-dev zlib1g-dev libpng-dev libdeflate-dev libprotobuf-dev protobuf-compiler
  libbenchmark-dev python3 python3-torch python3-numpy python3-pil python3-protobuf
)
if [ "${1:-}" = --fuzz ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
