#!/usr/bin/env bash
# bench_matmul.sh — builds the matmul benchmark (Release), runs it and bench/torch_matmul.py, and
# prints one table: GFLOP/s of qkv, plain cblas_sgemm, a single-threaded sgemm loop (batched
# shapes) and torch, with qkv's throughput as a ratio of each.
#
#   scripts/bench_matmul.sh                      # build dir: build/ (override with BUILD_DIR=...)
#   OPENBLAS_NUM_THREADS=1 scripts/bench_matmul.sh   # any OpenBLAS / qkv env settings pass through
#
# Timings are medians over repeated runs; other processes on the machine skew them, so the
# load average is printed alongside.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BUILD_DIR:-build}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$dir" -j "$(nproc)" --target matmul_bench > /dev/null

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/matmul_bench" | tee -a "$results" | grep '^#' || true
/usr/bin/python3 bench/torch_matmul.py >> "$results"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$results" <<'EOF'
import sys

gflops, setting, order = {}, {}, []
for line in open(sys.argv[1]):
    if not line.startswith("RESULT"):
        continue
    _, shape, impl, _micros, rate, *rest = line.split()
    if shape not in order:
        order.append(shape)
    gflops[shape, impl] = float(rate)
    if impl == "torch":
        setting[shape] = " ".join(rest)

def cell(shape, impl):
    return f"{gflops[shape, impl]:8.1f}" if (shape, impl) in gflops else f"{'-':>8}"

def ratio(shape, impl):
    if (shape, impl) not in gflops:
        return f"{'-':>7}"
    return f"{gflops[shape, 'qkv'] / gflops[shape, impl]:6.2f}x"

print()
print("GFLOP/s (float32, median); ratios are qkv's throughput over the other's (> 1: qkv faster)")
header = (f"{'shape':<20} {'qkv':>8} {'sgemm':>8} {'sgemm1t':>8} {'torch':>8} "
          f"{'qkv/sgemm':>10} {'qkv/1t':>7} {'qkv/torch':>10}  torch setting")
print(header)
print("-" * len(header))
for s in order:
    print(f"{s:<20} {cell(s, 'qkv')} {cell(s, 'sgemm')} {cell(s, 'sgemm_1t')} {cell(s, 'torch')} "
          f"{ratio(s, 'sgemm'):>10} {ratio(s, 'sgemm_1t')} {ratio(s, 'torch'):>10}  {setting.get(s, '')}")
EOF
