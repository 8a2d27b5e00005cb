#!/usr/bin/env bash
# bench_variants.sh — every registered attention variant, and every normaliser on scaled
# dot-product scores, timed the same way (bench/variants_bench.cpp): forward + backward of one
# MultiHeadAttention layer, d = 256, 8 heads, batch 8, causal, float32, as one markdown table
# with each variant's time over the default's (scaled_dot, the fused kernel). A new variant
# appears in it the moment it registers. qkv only: PyTorch has none of these but the default,
# which scripts/bench_attention.sh compares.
#
#   scripts/bench_variants.sh                # T = 64 and 256
#   scripts/bench_variants.sh 64 1024        # other lengths
#   REPEATS=5 scripts/bench_variants.sh      # timed steps per row (default: by length)
#   BUILD_DIR=build-x ...                    # where it is built (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh

build_bench variants_bench

echo "$(nproc) cores; $(blas_kernels); load average $(cut -d' ' -f1-3 /proc/loadavg) before"
echo
"$dir/variants_bench" "$@" ${REPEATS:+--repeats "$REPEATS"}
