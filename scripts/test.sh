#!/usr/bin/env bash
# test.sh — installs what is missing, builds, and runs the whole test suite under ctest.
#
#   scripts/test.sh              # the default suite (unit tests, gradchecks, PyTorch parity)
#   scripts/test.sh --sanitize   # the same suite built with ASan + UBSan
#   QKV_SLOW=1 scripts/test.sh   # also the slow checks (labelled "slow"; never skipped silently)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
scripts/build.sh "$@"
dir=build
[[ "${1:-}" == "--sanitize" ]] && dir=build-asan

exclude=()
[[ "${QKV_SLOW:-0}" == "1" ]] || exclude=(-LE slow)
# One test at a time per core; OpenBLAS and qkv's pool each get one thread per test process.
export OPENBLAS_NUM_THREADS=1 QKV_NUM_THREADS=1
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" "${exclude[@]}"
if [[ ${#exclude[@]} -gt 0 ]]; then
  echo "test.sh: slow checks not run ($(ctest --test-dir "$dir" -N -L slow | tail -1 | sed 's/Total Tests: //') of them); run QKV_SLOW=1 scripts/test.sh"
fi
