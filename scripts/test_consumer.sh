#!/usr/bin/env bash
# test_consumer.sh — qkv as an outside program uses it: install a build into a temporary prefix,
# train a tiny checkpoint with the installed `qkv`, build examples/consumer with find_package(qkv)
# and run it on the checkpoint, then build a program with only `g++ $(pkg-config ...)` against the
# plain static archive (no --whole-archive) and run it. Prints every step's commands; exits
# non-zero on the first failure. ctest runs it (tests/CMakeLists.txt, label install).
#
#   scripts/test_consumer.sh [BUILD_DIR]      # install BUILD_DIR (default: build), already built
#   scripts/test_consumer.sh --shared         # configure and build a shared libqkv first (slow)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qkv-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
run() { echo "+ $*"; "$@"; }

if [[ "${1:-}" == "--shared" ]]; then
  build=$tmp/build-shared
  run cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DQKV_SHARED=ON -DQKV_BUILD_TESTS=OFF \
      -DQKV_BUILD_EXAMPLES=OFF -DQKV_BUILD_BENCHMARKS=OFF -DQKV_INSTALL=ON > /dev/null
  run cmake --build "$build" -j "$(nproc)" > "$tmp/build-shared.log"
else
  build=$(cd "${1:-$root/build}" && pwd)
fi
prefix=$tmp/prefix

echo "== install $build into a temporary prefix"
run cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
echo "installed: $(cd "$prefix" && find . -maxdepth 3 -not -path './include/qkv/*' | sort | tr '\n' ' ')"

echo "== a tiny checkpoint, trained by the installed qkv"
printf 'a dog runs .\tein hund rennt .\na man sleeps .\tein mann schläft .\na dog sleeps .\tein hund schläft .\n' \
  > "$tmp/pairs.tsv"
run "$prefix/bin/qkv" --version
run "$prefix/bin/qkv" train --train-tsv "$tmp/pairs.tsv" --valid-tsv "$tmp/pairs.tsv" --min-freq 1 --d-model 16 \
    --heads 2 --encoder-layers 1 --decoder-layers 1 --ffn-dim 32 --max-steps 3 --no-progress \
    --out-dir "$tmp/run" > "$tmp/train.log"
grep "^qkv train: stopped" "$tmp/train.log"

echo "== examples/consumer with find_package(qkv)"
run cmake -S "$root/examples/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release > /dev/null
run cmake --build "$tmp/consumer"
run "$tmp/consumer/consumer" "$tmp/run/best.safetensors" "a dog sleeps ."

pc=$(find "$prefix" -name qkv.pc)
if [[ -n "$(find "$prefix" -name libqkv.a)" ]]; then
  echo "== a plain g++ build with pkg-config, against libqkv.a without --whole-archive"
  export PKG_CONFIG_PATH=$(dirname "$pc")
  echo "pkg-config --cflags --libs qkv: $(pkg-config --cflags --libs qkv)"
  # shellcheck disable=SC2046 # word splitting of the flags is wanted
  run g++ -O1 "$root/tests/link/builtin_variants_static.cpp" -o "$tmp/plain" $(pkg-config --cflags --libs qkv)
  run "$tmp/plain"
fi
echo "test_consumer: ok"
