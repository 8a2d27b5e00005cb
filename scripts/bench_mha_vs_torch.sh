#!/usr/bin/env bash
# bench_mha_vs_torch.sh — qkv's MultiHeadAttention against torch.nn.MultiheadAttention at the
# shape the "why does my attention lose?" programs train (d 128, 4 heads, a batch of 64
# sentences padded to 24 tokens, causal + key padding, float32), so a reader of
# docs/why-attention-loses.md knows the reference layer is not the difference:
#   1. values: runs tests/parity/mha_parity.py (the same weights and inputs through both, masks
#      translated explicitly; outputs, weights and gradients compared) and stops if it fails;
#   2. time: forward + backward ("train") and forward without gradients ("eval"), medians over
#      repeats, both sides single-threaded (QKV_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1,
#      torch.set_num_threads(1) via OMP_NUM_THREADS=1), one process each, interleaved rounds,
#      each side's fastest round kept.
#
#   scripts/bench_mha_vs_torch.sh            # the measurement (run on a quiet machine)
#   scripts/bench_mha_vs_torch.sh --quick    # smoke test: 1 round, 3 repeats — not a measurement
#   BATCH=32 LENGTH=40 ROUNDS=5 scripts/bench_mha_vs_torch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh  # sources scripts/blas_kernels.sh: the same OpenBLAS kernels for both sides
parse_quick "$@"

batch=${BATCH:-64}
length=${LENGTH:-24}
if [ "$quick" = 1 ]; then rounds=1; repeats=3; else rounds=${ROUNDS:-3}; repeats=${REPEATS:-30}; fi

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$dir" -j "$jobs" --target mha_vs_torch_bench mha_driver > /dev/null

echo "values: tests/parity/mha_parity.py (qkv's MultiHeadAttention vs torch.nn.MultiheadAttention, same weights)" >&2
/usr/bin/python3 tests/parity/mha_parity.py --driver "$dir/tests/mha_driver" >&2

start_results
args=(--batch "$batch" --length "$length" --repeats "$repeats")
for round in $(seq "$rounds"); do
  echo "round $round/$rounds (load $(load_now))" >&2
  QKV_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$dir/mha_vs_torch_bench" "${args[@]}" | tee -a "$results" >&2
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_mha_vs_qkv.py "${args[@]}" | tee -a "$results" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$machine" "$load_before" "$load_after" "$quick" "$batch" "$length" <<'PY'
import sys

path, machine, load_before, load_after, quick, batch, length = sys.argv[1:8]
best = {}
for line in open(path):
    f = line.split()
    if len(f) == 5 and f[0] == "RESULT":
        key = (f[1], f[2])
        wall, cpu = float(f[3]), float(f[4])
        if key not in best or wall < best[key][0]:
            best[key] = (wall, cpu)
print()
print(f"MultiHeadAttention d=128, 4 heads, batch {batch} x {length} tokens, causal + key padding, float32, one thread each")
print(f"{machine}; load average {load_before} before, {load_after} after"
      + ("; QUICK SMOKE RUN, not a measurement" if quick == "1" else ""))
print()
print("| case | qkv ms | torch ms | torch / qkv | qkv cpu ms | torch cpu ms |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for case in ("train", "eval"):
    q, t = best.get(("qkv", case)), best.get(("torch", case))
    if q and t:
        print(f"| {case} | {q[0]:.2f} | {t[0]:.2f} | {t[0] / q[0]:.2f} | {q[1]:.2f} | {t[1]:.2f} |")
PY
