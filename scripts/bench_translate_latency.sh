#!/usr/bin/env bash
# bench_translate_latency.sh — `qkv translate`'s answer time for one typed sentence with the model
# already loaded (bench/translate_latency.cpp): a trained run's best.safetensors, 12 sentences
# translated one at a time with beam 5, a warm-up pass not timed; median and 90th percentile of
# the per-sentence wall times. Target (issue 18): median under 50 ms for the bundled model.
#
#   scripts/bench_translate_latency.sh runs/en-de        # 5 repeats of the 12 sentences, beam 5
#   scripts/bench_translate_latency.sh --quick runs/tiny # smoke test: 1 repeat — not a measurement
#   REPEATS=20 BEAM=4 BUILD_DIR=build-x ...
#
# qkv runs with its defaults (one worker per core); the OpenBLAS kernels are chosen as for every
# benchmark (scripts/blas_kernels.sh, via bench_common.sh). A benchmark, not a test: it exits 0
# once the program ran.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh

quick=0
run_dir=
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    -*) echo "usage: $0 [--quick] RUN_DIR" >&2; exit 2 ;;
    *) [ -z "$run_dir" ] || { echo "usage: $0 [--quick] RUN_DIR" >&2; exit 2; }; run_dir=$arg ;;
  esac
done
[ -n "$run_dir" ] || { echo "usage: $0 [--quick] RUN_DIR (a qkv train --out-dir)" >&2; exit 2; }
[ -e "$run_dir/best.safetensors" ] || [ -f "$run_dir" ] || {
  echo "bench_translate_latency: no $run_dir/best.safetensors (train one with qkv train --out-dir $run_dir)" >&2
  exit 2
}
if [ "$quick" = 1 ]; then repeats=${REPEATS:-1}; else repeats=${REPEATS:-5}; fi
beam=${BEAM:-5}

build_bench translate_latency
start_results
"$dir/translate_latency" "$run_dir" "$repeats" "$beam" | tee "$results" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$machine" "$load_before" "$load_after" "$quick" "$beam" <<'PY'
import sys

path, machine, load_before, load_after, quick, beam = sys.argv[1:7]
r = {}
for line in open(path):
    f = line.split()
    if len(f) == 3 and f[0] == "RESULT":
        r[f[1]] = float(f[2])
if "median_ms" not in r:
    sys.exit("bench_translate_latency: the program printed no result")
print()
print(f"one typed sentence at a time, beam {beam}, model loaded once, warm-up excluded")
print(f"{machine}; load average {load_before} before, {load_after} after"
      + ("; QUICK SMOKE RUN, not a measurement" if quick == "1" else ""))
print()
print("| median ms | p90 ms | max ms | peak MB | target (median < 50 ms) |")
print("| ---: | ---: | ---: | ---: | --- |")
print(f"| {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['max_ms']:.1f} | {r['peak_mb']:.0f} "
      f"| {'met' if r['median_ms'] < 50 else 'MISSED'} |")
PY
