#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages qkv needs, only those missing.
#
#   scripts/install-deps.sh          # to build and run qkv
#   scripts/install-deps.sh --test   # also what the tests need (PyTorch, the parity reference)
#
# Idempotent: a second run installs nothing. Needs root, or sudo for a normal user.
set -euo pipefail

# The build: the compiler, OpenBLAS, fmt, JSON, CLI11, Catch2; SentencePiece (raw-text subwords)
# and oneDNN (bfloat16 matrix products) are found by CMake and used when present.
packages=(g++ cmake make pkg-config libopenblas-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
          libsentencepiece-dev libdnnl-dev)
if [[ "${1:-}" == "--test" ]]; then
  # The tests: PyTorch (parity reference), clang-format, SentencePiece's own command-line tools
  # (interoperability), Open MPI (multi-process training), clang 14 with its sanitizer and
  # libFuzzer runtimes (fuzz targets).
  packages+=(python3 python3-torch python3-numpy clang-format-14 sentencepiece
             libopenmpi-dev openmpi-bin clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
