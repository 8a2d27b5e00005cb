#!/usr/bin/env bash
# bench_decode.sh — batched greedy decoding of 64 source sentences, qkv against PyTorch, in one
# run on this machine (bench/decode_bench.cpp and bench/torch_decode_bench.py): the same model
# shape (d=256, 8 heads, 3+3 layers, FFN 512, vocab 8000, random weights — their parameter
# counts are compared), the same 64 sources of 10–20 tokens (one shared LCG), the same number of
# steps. qkv decodes incrementally with cached keys/values (models/decoding.h); PyTorch re-runs
# nn.Transformer's decoder on the growing prefix each step, as its users do. Target: qkv at
# least 2x PyTorch's speed.
#
# Equal work: both sides decode exactly STEPS tokens for every sentence on the full batch of 64.
# qkv is given eos = -1, an id argmax never returns, so no sentence finishes early (decode_bench
# checks that every output has STEPS tokens); PyTorch runs STEPS steps with no eos check. The
# time covers encoding and decoding, and the whole batch.
#
#   scripts/bench_decode.sh                  # 5 timed repeats (medians), 30 steps
#   scripts/bench_decode.sh --quick          # smoke test: 1 repeat, torch threads=1 only — not a measurement
#   scripts/bench_decode.sh --precision bf16 # also qkv with bf16 products (tensor/precision.h) and torch
#                                            # under autocast bf16: a second table of all four
#   REPEATS=10 STEPS=30 ...
#   TORCH_SETTINGS="threads=1" ...           # torch thread settings to try (default: all three)
#   BUILD_DIR=build-x ...                    # where qkv's benchmark is built (default: build)
#
# PyTorch runs under threads=1 (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=<cores>),
# default (its default threads, OMP_WAIT_POLICY=PASSIVE) and threads=N (set_num_threads(<cores>),
# OMP_WAIT_POLICY=PASSIVE), and its fastest is compared; qkv runs with its defaults. Each run is
# its own process. A benchmark, not a test: it exits 0 once both sides ran.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh
parse_quick_precision "$@"

steps=${STEPS:-30}
if [ "$quick" = 1 ]; then
  repeats=${REPEATS:-1}
  settings=${TORCH_SETTINGS:-threads=1}
else
  repeats=${REPEATS:-5}
  settings=${TORCH_SETTINGS:-threads=1 default threads=$cores}
fi

build_bench decode_bench

start_results
precisions=fp32
[ "$precision" = bf16 ] && precisions="fp32 bf16"
for p in $precisions; do
  qkv_side=qkv torch_side=torch
  [ "$p" = bf16 ] && qkv_side=qkv_bf16 torch_side=torch_bf16
  echo "qkv $p (load $(load_now))" >&2
  "$dir/decode_bench" "$repeats" "$steps" "$p" | sed "s/^RESULT/RESULT $qkv_side default/" | tee -a "$results" >&2
  for s in $settings; do
    echo "torch $s $p (load $(load_now))" >&2
    case $s in
      threads=1) OPENBLAS_NUM_THREADS=$cores /usr/bin/python3 bench/torch_decode_bench.py 1 "$repeats" "$steps" "$p" ;;
      default) OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_decode_bench.py 0 "$repeats" "$steps" "$p" ;;
      threads=*) OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_decode_bench.py "${s#threads=}" "$repeats" "$steps" "$p" ;;
      *) echo "unknown torch setting $s" >&2; exit 2 ;;
    esac | sed "s/^RESULT/RESULT $torch_side $s/" | tee -a "$results" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$machine" "$load_before" "$load_after" "$quick" "$repeats" "$steps" <<'PY'
import sys

path, machine, load_before, load_after, quick, repeats, steps = sys.argv[1:8]
runs = {}  # (side, setting) -> {key: value}
for line in open(path):
    f = line.split()
    if len(f) == 5 and f[0] == "RESULT":
        runs.setdefault((f[1], f[2]), {})[f[3]] = float(f[4])
q = runs.get(("qkv", "default"))
torch_runs = [(k[1], v) for k, v in runs.items() if k[0] == "torch" and "ms" in v]
if q is None or not torch_runs:
    sys.exit("bench_decode: a side produced no result")
setting, t = min(torch_runs, key=lambda r: r[1]["ms"])

print()
print(f"greedy decoding, 64 sentences, {steps} steps each (no early stop), d=256 8 heads 3+3 layers FFN 512 "
      f"vocab 8000; medians of {repeats}")
print(f"{machine}; load average {load_before} before, {load_after} after"
      + ("; QUICK SMOKE RUN, not a measurement" if quick == "1" else ""))
print("speed = torch ms / qkv ms (> 1: qkv faster); MB = process peak RSS")
print()
params = f"{int(q['params'])}"
if any(int(v["params"]) != int(q["params"]) for _, v in torch_runs):
    params += f" (torch {int(t['params'])}: MISMATCH)"
    print(f"WARNING: qkv has {int(q['params'])} parameters, torch {int(t['params'])}", file=sys.stderr)
if any(int(v["generated"]) != int(q["generated"]) for _, v in torch_runs):
    print(f"WARNING: the sides generated different numbers of tokens", file=sys.stderr)
speed = t["ms"] / q["ms"]
print("| params | tokens generated | qkv ms | torch ms | speed | qkv cpu ms | torch cpu ms | qkv MB | torch MB "
      "| target (>= 2x) | torch setting |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
print(f"| {params} | {int(q['generated'])} | {q['ms']:.1f} | {t['ms']:.1f} | {speed:.2f}x | {q['cpu_ms']:.1f} "
      f"| {t['cpu_ms']:.1f} | {q['peak_mb']:.0f} | {t['peak_mb']:.0f} | {'met' if speed >= 2 else 'MISSED'} | {setting} |")

qb = runs.get(("qkv_bf16", "default"))
torch_bf16 = [(k[1], v) for k, v in runs.items() if k[0] == "torch_bf16" and "ms" in v]
if qb is not None and torch_bf16:
    best = min(torch_runs + [("bf16 " + s, v) for s, v in torch_bf16], key=lambda r: r[1]["ms"])
    tb = min(torch_bf16, key=lambda r: r[1]["ms"])[1]
    print()
    print("bf16 matrix products (qkv --precision bf16; torch.autocast bfloat16), fastest run of each side; "
          "ratios > 1: the first is faster")
    print()
    print("| qkv fp32 ms | qkv bf16 ms | torch fp32 ms | torch bf16 ms | qkv bf16 / qkv fp32 | qkv bf16 / torch best "
          "| torch best setting |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(f"| {q['ms']:.1f} | {qb['ms']:.1f} | {t['ms']:.1f} | {tb['ms']:.1f} | {q['ms'] / qb['ms']:.2f}x "
          f"| {best[1]['ms'] / qb['ms']:.2f}x | {best[0]} |")
PY
