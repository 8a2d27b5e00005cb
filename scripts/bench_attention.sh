#!/usr/bin/env bash
# bench_attention.sh — forward + backward of one multi-head attention layer (d = 256, 8 heads,
# batch 8, causal, float32): qkv's MultiHeadAttention with the default scaled_dot variant (the
# fused flash-attention kernel) against torch.nn.MultiheadAttention, at T = 64, 256, 1024, 4096,
# as one markdown table: median wall times, speed ratio, peak memory added by the run and its
# ratio, and whether each target is met (at least 1.5x torch's speed at T <= 256; at T = 4096 at
# least 2x its speed with at most a tenth of its peak memory).
#
#   scripts/bench_attention.sh                  # all four lengths (torch at 4096: ~13 GB, ~16 s a step)
#   scripts/bench_attention.sh --quick          # smoke test: T = 64 only, 2 repeats — not a measurement
#   SIZES="64 256" scripts/bench_attention.sh   # some lengths
#   TORCH_SETTINGS="threads=1" ...              # torch thread settings to try (default: all three)
#   QKV_SETTINGS="default" ...                  # qkv thread settings to try (default: both)
#   REPEATS=3 ...                               # timed repeats per run (default: by length)
#   ROUNDS=5 ...                                # interleaved rounds (default: 3 at T <= 256, 1 above)
#   BUILD_DIR=build-x ...                       # where qkv's benchmark is built (default: build)
#   QKV_ARGS=--composed ...                     # time qkv's composed path instead (needs the
#                                               # T×T weights: do not use at T = 4096)
#
# Every (length, implementation, thread setting) runs in its own process, one at a time, so
# peak RSS (getrusage ru_maxrss, minus the process's RSS before the layer is built) belongs to
# that run alone. Torch runs under each thread setting —
#   threads=1    torch.set_num_threads(1), OpenBLAS with <cores> threads
#   default      torch's default threads, OMP_WAIT_POLICY=PASSIVE
#   threads=N    torch.set_num_threads(<cores>), OMP_WAIT_POLICY=PASSIVE
# — and so does qkv — default (qkv and OpenBLAS threads = cores); threads=1 (QKV_NUM_THREADS=1
# OPENBLAS_NUM_THREADS=1) — and for each side the fastest by wall time is compared (every run's
# figures are printed to stderr as it finishes). The short lengths run in several interleaved
# rounds — every qkv and torch setting once per round — and each side keeps its fastest run:
# on this shared 2-core VM the same run's time drifts by 10–20% from one minute to the next,
# and interleaving gives both sides the same chance at a quiet moment. Ratios are torch's time over qkv's (> 1: qkv
# faster) and qkv's memory over torch's. On a busy machine wall times are inflated, so CPU times
# and the load average are printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench_common.sh
source scripts/bench_common.sh
parse_quick "$@"

if [ "$quick" = 1 ]; then
  sizes=${SIZES:-64}
  repeats=${REPEATS:-2}
else
  sizes=${SIZES:-64 256 1024 4096}
  repeats=${REPEATS:-}
fi
settings=${TORCH_SETTINGS:-threads=1 default threads=$cores}
qkv_settings=${QKV_SETTINGS:-default threads=1}

build_bench attention_bench

start_results
for T in $sizes; do
  rounds=${ROUNDS:-$([ "$T" -le 256 ] && [ "$quick" = 0 ] && echo 3 || echo 1)}
  for round in $(seq "$rounds"); do
    for s in $qkv_settings; do
      echo "T=$T round $round/$rounds: qkv $s (load $(load_now))" >&2
      # shellcheck disable=SC2086  # QKV_ARGS and repeats are lists of arguments
      case $s in
        default) "$dir/attention_bench" "$T" $repeats ${QKV_ARGS:-} ;;
        threads=1) QKV_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$dir/attention_bench" "$T" $repeats ${QKV_ARGS:-} ;;
        *) echo "unknown qkv setting $s" >&2; exit 2 ;;
      esac | sed "s/\$/ $s/" | tee -a "$results" >&2
    done
    for s in $settings; do
      echo "T=$T round $round/$rounds: torch $s (load $(load_now))" >&2
      # shellcheck disable=SC2086
      case $s in
        threads=1) OPENBLAS_NUM_THREADS=$cores /usr/bin/python3 bench/torch_attention_bench.py "$T" "$s" $repeats ;;
        default) OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_attention_bench.py "$T" "$s" $repeats ;;
        threads=*) OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="${s#threads=}" \
                     /usr/bin/python3 bench/torch_attention_bench.py "$T" "$s" $repeats ;;
        *) echo "unknown torch setting $s" >&2; exit 2 ;;
      esac | tee -a "$results" >&2
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$machine" "$load_before" "$load_after" "$quick" <<'PY'
import sys

path, machine, load_before, load_after, quick = sys.argv[1:6]
qkv, torch = {}, {}
for line in open(path):
    f = line.split()
    if not f or f[0] != "RESULT":
        continue
    T, wall, cpu, peak, base = int(f[2]), float(f[3]), float(f[4]), float(f[5]), float(f[6])
    row = {"wall": wall, "cpu": cpu, "mb": peak - base, "peak": peak, "setting": " ".join(f[7:])}
    side = qkv if f[1] == "qkv" else torch
    if T not in side or wall < side[T]["wall"]:
        side[T] = row  # the fastest thread setting

def verdict(T, speed, mem):
    if T <= 256:
        return ("met" if speed >= 1.5 else "MISSED") + " (>= 1.5x)"
    if T == 4096:
        return ("met" if speed >= 2 and mem <= 0.1 else "MISSED") + " (>= 2x, <= 0.1 memory)"
    return "-"

print()
print("forward + backward, MultiHeadAttention d=256, 8 heads, batch 8, causal, float32; medians over repeats, "
      "each side's fastest thread setting and round")
print(f"{machine}; load average {load_before} before, {load_after} after"
      + ("; QUICK SMOKE RUN, not a measurement" if quick == "1" else ""))
print("speed = torch time / qkv time (> 1: qkv faster); MB = peak RSS added by the run (in brackets: the process's "
      "whole peak RSS, getrusage ru_maxrss); mem = qkv MB / torch MB")
print()
print("| T | qkv ms | torch ms | speed | qkv cpu ms | torch cpu ms | cpu speed | qkv MB | torch MB | mem "
      "| target (wall) | qkv setting | torch setting |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
for T in sorted(set(qkv) | set(torch)):
    q, t = qkv.get(T), torch.get(T)
    if q is None or t is None:
        one = q or t
        cells = [f"{one['wall']:.1f}", "-"] if q else ["-", f"{one['wall']:.1f}"]
        print(f"| {T} | {cells[0]} | {cells[1]} | - | - | - | - | - | - | - | - | {q['setting'] if q else '-'} "
              f"| {t['setting'] if t else '-'} |")
        continue
    speed, cpu_speed = t["wall"] / q["wall"], t["cpu"] / q["cpu"]
    mem = q["mb"] / t["mb"] if t["mb"] > 0 else float("nan")
    print(f"| {T} | {q['wall']:.1f} | {t['wall']:.1f} | {speed:.2f}x | {q['cpu']:.1f} | {t['cpu']:.1f} | "
          f"{cpu_speed:.2f}x | {q['mb']:.0f} ({q['peak']:.0f}) | {t['mb']:.0f} ({t['peak']:.0f}) | {mem:.3f} | {verdict(T, speed, mem)} | "
          f"{q['setting']} | {t['setting']} |")
PY
