#!/usr/bin/env bash
# build.sh — configures and builds qkv (Release) into build/, or with --sanitize an
# AddressSanitizer + UndefinedBehaviorSanitizer build into build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DQKV_SANITIZE=ON)
fi
cmake -S . -B "$dir" "${flags[@]}" > /dev/null
cmake --build "$dir" -j "$(nproc)"
