#!/usr/bin/env bash
# bench_matmul.sh — builds the matmul benchmark (Release), runs it and bench/torch_matmul.py, and
# prints one markdown table: GFLOP/s of qkv (raw::matmul / raw::bmm), one plain cblas_sgemm call
# per matrix, the same sgemm loop single-threaded, and torch.matmul / torch.bmm in its best thread
# setting, with qkv's throughput as a ratio of each.
#
#   scripts/bench_matmul.sh [--quick]          # --quick: 3 runs per shape, a smoke test only
#   scripts/bench_matmul.sh --precision bf16   # also qkv with bf16 products (tensor/precision.h),
#                                              # as a ratio to qkv fp32 (issue 23's target: >= 1.8x)
#   BUILD_DIR=build-x scripts/bench_matmul.sh  # build dir (default: build)
#   OPENBLAS_NUM_THREADS=1 scripts/bench_matmul.sh   # any OpenBLAS / qkv env settings pass through
#
# Shapes: (2048×256)·(256×256), (2048×256)·(256×1024), (2048×1024)·(1024×256),
# (2048×256)·(256×8000), and 256 batches of (32×64)·(64×32) and (32×32)·(32×64), float32.
# Timings are medians over repeated runs; other processes on the machine skew them, so the load
# average is printed alongside. Quick runs are not measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh

parse_quick_precision "$@"
quick_args=()
[ "$quick" = 1 ] && quick_args=(--quick)

build_bench matmul_bench

results=$(mktemp)
trap 'rm -f "$results"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# $(blas_kernels)"
"$dir/matmul_bench" "${quick_args[@]}" --precision "$precision" | tee -a "$results" | grep '^#' || true
/usr/bin/python3 bench/torch_matmul.py "${quick_args[@]}" >> "$results"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$(nproc)" "$load_before" "$load_after" "${quick_args[*]:-}" <<'PY'
import sys

path, cores, load_before, load_after, quick = sys.argv[1:6]
gflops, setting, order = {}, {}, []
for line in open(path):
    if not line.startswith("RESULT"):
        continue
    _, shape, impl, _micros, rate, *rest = line.split()
    if shape not in order:
        order.append(shape)
    gflops[shape, impl] = float(rate)
    if impl == "torch":
        setting[shape] = " ".join(rest)

def cell(shape, impl):
    return f"{gflops[shape, impl]:.1f}" if (shape, impl) in gflops else "-"

def ratio(shape, impl):
    if (shape, impl) not in gflops or (shape, "qkv") not in gflops:
        return "-"
    return f"{gflops[shape, 'qkv'] / gflops[shape, impl]:.2f}x"

print()
print(f"matmul / bmm, float32, median GFLOP/s; {cores} cores; load average {load_before} before, {load_after} after"
      + (" — QUICK SMOKE RUN, not a measurement" if quick else ""))
print("Ratios are qkv's throughput over the other's (> 1: qkv faster).")
print()
print("| shape | qkv | sgemm | sgemm 1 thread | torch | qkv / sgemm | qkv / sgemm 1t | qkv / torch | torch setting |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for s in order:
    print(f"| {s} | {cell(s, 'qkv')} | {cell(s, 'sgemm')} | {cell(s, 'sgemm_1t')} | {cell(s, 'torch')} "
          f"| {ratio(s, 'sgemm')} | {ratio(s, 'sgemm_1t')} | {ratio(s, 'torch')} | {setting.get(s, '-')} |")

# --precision bf16: qkv's bf16 products against its fp32 ones (issue 23's target: >= 1.8x).
if any(impl == "qkv_bf16" for _, impl in gflops):
    print()
    print("dnnl_omp: the same bf16 product as one oneDNN call on its own OpenMP threads (the second pool "
          "qkv avoids); qkv bf16 / dnnl_omp > 1: qkv's one pool is faster")
    print()
    print("| shape | qkv fp32 | qkv bf16 | dnnl_omp | bf16 / fp32 | qkv bf16 / dnnl_omp | qkv bf16 / torch fp32 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in order:
        bf16 = gflops.get((s, "qkv_bf16"))
        over = lambda impl: f"{bf16 / gflops[s, impl]:.2f}x" if bf16 and (s, impl) in gflops else "-"
        print(f"| {s} | {cell(s, 'qkv')} | {cell(s, 'qkv_bf16')} | {cell(s, 'dnnl_omp')} | {over('qkv')} "
              f"| {over('dnnl_omp')} | {over('torch')} |")
PY
