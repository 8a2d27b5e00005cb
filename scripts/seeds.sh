#!/usr/bin/env bash
# seeds.sh — how far runs of one recipe spread: qkv train's recipe
# (examples/multi30k_tokenised.toml plus TRAIN_OPTIONS) trained MINUTES minutes once per seed in
# SEEDS, each scored on test_2016_flickr with the final model its run chose on validation
# (tokenised lowercased BLEU, `qkv eval --tokenize none`); then every run's figures, their mean,
# sample standard deviation and range. Runs of the same recipe that exist already join the
# summary through RUNS (their seed is read from their config.toml).
#
#   SEEDS="2 3" MINUTES=120 TRAIN_OPTIONS="--schedule cosine --decay-steps 38000" \
#     RUNS=runs/issue22/tok120-cos scripts/seeds.sh
#
# Runs go to runs/seeds/seed-N-MINUTES; an existing one is refused unless QKV_FRESH=1. OpenBLAS
# runs its own choice of kernels, as in scripts/pipelines.sh. The summary goes to
# runs/seeds/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quality_common.sh

minutes=${MINUTES:-30}
read -r -a seeds <<< "${SEEDS:-}"
read -r -a train_options <<< "${TRAIN_OPTIONS:-}"
read -r -a existing <<< "${RUNS:-}"
root=runs/seeds
for seed in "${seeds[@]}"; do
  [[ $seed =~ ^[0-9]+$ ]] || { echo "seeds.sh: SEEDS holds whole numbers, not '$seed'" >&2; exit 2; }
  refuse_existing seeds.sh "$root/seed-$seed-$minutes"
done
for run in "${existing[@]}"; do
  [[ -f $run/final.safetensors ]] || { echo "seeds.sh: RUNS: $run has no final.safetensors" >&2; exit 2; }
done
(( ${#seeds[@]} + ${#existing[@]} > 0 )) || { echo "seeds.sh: give SEEDS to train, RUNS to score, or both" >&2; exit 2; }

build_qkv_cli
mkdir -p "$root"
runs=("${existing[@]}")
for seed in "${seeds[@]}"; do
  out=$root/seed-$seed-$minutes
  echo "== seed $seed, $minutes minutes: $out"
  qkv train --config examples/multi30k_tokenised.toml --seed "$seed" "${train_options[@]}" --out-dir "$out" \
    --overwrite --max-minutes "$minutes" > "$out.out" 2>&1
  runs+=("$out")
done

{
  echo "$minutes minutes, options: ${TRAIN_OPTIONS:-none}; tokenised lowercased BLEU: run | seed | steps | validation | test_2016_flickr"
  tests=()
  for run in "${runs[@]}"; do
    tests+=("$(score "$run/final.safetensors" test_2016_flickr "$run/seeds_test.out")")
    echo "$run | $(sed -n 's/^seed = //p' "$run/config.toml") | $(steps "$run") | $(chosen_valid "$run") | ${tests[-1]}"
  done
  printf '%s\n' "${tests[@]}" | awk '{ s += $1; q += $1 * $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
    END { m = s / NR; sd = NR > 1 ? sqrt((q - NR * m * m) / (NR - 1)) : 0
          printf "test over %d runs: mean %.2f, sample sd %.2f, range %.2f-%.2f (spread %.2f)\n", NR, m, sd, lo, hi, hi - lo }'
} | tee -a "$root/summary.txt"
