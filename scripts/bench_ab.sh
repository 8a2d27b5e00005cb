#!/usr/bin/env bash
# bench_ab.sh — the same benchmarks from two builds of qkv, interleaved in one run: did a change
# make qkv slower? For refactors and kernel work, where the question is old against new, not qkv
# against PyTorch (that is scripts/bench_train.sh, bench_attention.sh, bench_decode.sh).
#
#   scripts/bench_ab.sh OLD_BUILD_DIR NEW_BUILD_DIR      # e.g. a build of the previous commit
#   ROUNDS=5 scripts/bench_ab.sh ...                      # interleaved rounds (default 3)
#   CASES="train:tiny attention:64" scripts/bench_ab.sh ...
#
# Cases (default all): train:tiny, train:small, train:base (build/train_step_bench, 10 steps),
# attention:64, attention:256 (build/attention_bench, d 256, 8 heads, causal, forward+backward),
# decode (build/decode_bench, greedy, 64 sentences). Each case runs old, new, old, new, ... in
# its own process; each side keeps its fastest median (this VM's speed drifts over minutes, and
# interleaving gives both sides the same chance at a quiet moment). new/old < 1: new is faster.
# A benchmark, not a test: it prints figures and asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/blas_kernels.sh
source scripts/blas_kernels.sh

[[ $# -eq 2 ]] || { echo "usage: $0 OLD_BUILD_DIR NEW_BUILD_DIR" >&2; exit 2; }
old=$1 new=$2
rounds=${ROUNDS:-3}
cases=${CASES:-"train:tiny train:small train:base attention:64 attention:256 decode"}

command_for() {  # build dir, case → the command line
  case $2 in
    train:*) echo "$1/train_step_bench ${2#train:} 10" ;;
    attention:*) echo "$1/attention_bench ${2#attention:}" ;;
    decode) echo "$1/decode_bench" ;;
    *) echo "bench_ab: unknown case '$2'" >&2; exit 2 ;;
  esac
}
ms_of() {  # the median wall ms from a benchmark's RESULT lines
  awk '/^RESULT ms / { print $3 } /^RESULT qkv / { print $4 }'
}

for side in "$old" "$new"; do
  for c in $cases; do
    read -r -a cmd <<< "$(command_for "$side" "$c")"
    [[ -x "${cmd[0]}" ]] || { echo "bench_ab: ${cmd[0]} is missing (build the benchmarks in $side)" >&2; exit 1; }
  done
done

echo "bench_ab: $old (old) against $new (new), $rounds interleaved rounds; $(nproc) cores; $(blas_kernels)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %12s %12s %9s\n' case "old ms" "new ms" "new/old"
for c in $cases; do
  best_old="" best_new=""
  for ((r = 0; r < rounds; r++)); do
    for side in old new; do
      dir=$old
      [[ $side == new ]] && dir=$new
      read -r -a cmd <<< "$(command_for "$dir" "$c")"
      ms=$("${cmd[@]}" | ms_of)
      if [[ $side == old ]]; then
        best_old=$(awk -v a="$ms" -v b="$best_old" 'BEGIN { print (b == "" || a < b) ? a : b }')
      else
        best_new=$(awk -v a="$ms" -v b="$best_new" 'BEGIN { print (b == "" || a < b) ? a : b }')
      fi
    done
  done
  printf '%-16s %12.2f %12.2f %9.3f\n' "$c" "$best_old" "$best_new" "$(awk -v a="$best_new" -v b="$best_old" 'BEGIN { print a / b }')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
