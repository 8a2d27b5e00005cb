#!/usr/bin/env bash
# why_attention_loses.sh — builds and runs the "why does my attention lose?" programs
# (examples/why_attention_loses/mistakes/*.cpp), each trained by the same harness for the same
# number of steps, and prints the table of docs/why-attention-loses.md.
#
#   scripts/why_attention_loses.sh                         # all eleven, one at a time
#   scripts/why_attention_loses.sh correct no_scaling      # some of them
#   JOBS=2 scripts/why_attention_loses.sh                  # two at a time
#   ARGS="--steps 100" scripts/why_attention_loses.sh      # other harness options (harness.h)
#   SKIP_DONE=1 ...                                        # keep logs that already hold a result row
#   BUILD=0 ...                                            # run the programs already built
#
# Logs go to runs/why/<name>.log, the table to runs/why/table.md. The results count steps, not
# minutes, so they do not depend on the machine's load; only the wall time does.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
out=runs/why
jobs=${JOBS:-1}
args=${ARGS:-}

all=(correct no_scaling softmax_wrong_axis inverted_mask no_key_padding_mask no_causal_mask masked_rows_nan
     postnorm_no_warmup wrong_init_scale dropout_at_eval no_residual)
names=("${@:-${all[@]}}")
[ $# -gt 0 ] || names=("${all[@]}")

if [ "${BUILD:-1}" != 0 ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$dir" -j 2 --target "${names[@]/#/why_}" > /dev/null
fi
mkdir -p "$out"

run_one() {
  local name=$1 log="$out/$1.log"
  if [ "${SKIP_DONE:-0}" = 1 ] && grep -q '^row: ' "$log" 2>/dev/null; then return 0; fi
  echo "$(date -u +%H:%M:%S) start $name" >&2
  # shellcheck disable=SC2086  # args is a list of options
  QKV_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$dir/examples/why_attention_loses/why_$name" $args > "$log" 2>&1 ||
    echo "$name failed (exit $?), see $log" >&2
  echo "$(date -u +%H:%M:%S) done  $name: $(grep '^row: ' "$log" || echo 'no result')" >&2
}

running=0
for name in "${names[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

{
  echo "| program | loss @ 1/8 | @ 1/4 | @ 1/2 | final loss | valid loss | valid BLEU | NaN steps | checks failed |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for name in "${all[@]}"; do grep -h '^row: ' "$out/$name.log" 2>/dev/null | sed 's/^row: //' || true; done
} > "$out/table.md"
cat "$out/table.md"
