#!/usr/bin/env bash
# ablation.sh — what each ingredient of qkv train's recipe (train/recipe.h,
# examples/multi30k_tokenised.toml) contributes: the recipe trained MINUTES minutes, and the same
# with one ingredient taken away per run; then, from the whole recipe's run, its final choices
# undone one at a time. Every figure is tokenised lowercased BLEU with beam 5 (qkv eval
# --tokenize none), validation as each run's finalize chose, and test_2016_flickr.
#
#   scripts/ablation.sh                               # every row, 30 minutes each (about 2.7 hours)
#   ROWS="no-joint-bpe dropout-0.1" scripts/ablation.sh
#   FULL_RUN=runs/pipelines/tokenised-30-quiet ROWS=full scripts/ablation.sh   # score a run that exists
#
# Rows (each a run of its own, in runs/ablation/ROW-MINUTES):
#   full                  the recipe
#   no-joint-bpe          BPE learned per language (10,000 merges each), so no shared embeddings
#   no-shared-embeddings  joint BPE, but source, target and output embeddings apart
#   dropout-0.1           dropout 0.1 instead of 0.3
#   cosine                the learning rate annealed to 0 at DECAY_STEPS (default 9800, about the
#                         steps 30 minutes take on two Zen 5 cores) instead of inverse square root
# and, from the full run (no training): its best checkpoint instead of the average finalize
# chose ("no averaging", its length penalty chosen on validation again), length penalty 0
# ("no length penalty"), and greedy decoding.
#
# OpenBLAS runs its own choice of kernels (OPENBLAS_CORETYPE is dropped), as in
# scripts/pipelines.sh. Each run needs a quiet machine; an existing run directory is refused
# unless QKV_FRESH=1. The table goes to runs/ablation/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quality_common.sh

minutes=${MINUTES:-30}
decay_steps=${DECAY_STEPS:-9800}
read -r -a rows <<< "${ROWS:-full no-joint-bpe no-shared-embeddings dropout-0.1 cosine}"
root=runs/ablation
run_dir() {
  if [[ $1 == full && -n ${FULL_RUN:-} ]]; then echo "$FULL_RUN"; else echo "$root/$1-$minutes"; fi
}
for row in "${rows[@]}"; do
  case $row in full|no-joint-bpe|no-shared-embeddings|dropout-0.1|cosine) ;;
    *) echo "ablation.sh: ROWS may hold full, no-joint-bpe, no-shared-embeddings, dropout-0.1 and cosine, not '$row'" >&2
       exit 2 ;;
  esac
  [[ $row == full && -n ${FULL_RUN:-} ]] || refuse_existing ablation.sh "$(run_dir "$row")"
done
if [[ -n ${FULL_RUN:-} && ! -f $FULL_RUN/final.safetensors ]]; then
  echo "ablation.sh: FULL_RUN=$FULL_RUN has no final.safetensors" >&2
  exit 2
fi

build_qkv_cli
mkdir -p "$root"

for row in "${rows[@]}"; do
  [[ $row == full && -n ${FULL_RUN:-} ]] && continue
  case $row in
    full) without=() ;;
    no-joint-bpe) without=(--no-joint-vocab --no-share-embeddings) ;;
    no-shared-embeddings) without=(--no-share-embeddings) ;;
    dropout-0.1) without=(--dropout 0.1) ;;
    cosine) without=(--schedule cosine --decay-steps "$decay_steps") ;;
  esac
  out=$(run_dir "$row")
  echo "== $row, $minutes minutes: $out"
  qkv train --config examples/multi30k_tokenised.toml "${without[@]}" --out-dir "$out" --overwrite \
    --max-minutes "$minutes" > "$out.out" 2>&1
done

{
  echo "$minutes minutes; tokenised lowercased BLEU, beam 5: row | run | steps | validation | test_2016_flickr"
  for row in "${rows[@]}"; do
    out=$(run_dir "$row")
    echo "$row | $out | $(steps "$out") | $(chosen_valid "$out") | $(score "$out/final.safetensors" test_2016_flickr \
      "$out/ablation_test.out")"
    [[ $row == full ]] || continue
    # The full run's choices undone, one at a time.
    best_alpha=0 best_valid=-1
    for alpha in 0 0.2 0.4 0.6 0.8 1 1.2 1.5 2; do
      v=$(score "$out/best.safetensors" val "$out/ablation_best_val_$alpha.out" --beam 5 --length-penalty "$alpha")
      if awk -v a="$v" -v b="$best_valid" 'BEGIN { exit !(a > b) }'; then best_valid=$v best_alpha=$alpha; fi
    done
    echo "no averaging (best checkpoint, length penalty $best_alpha) | $out | $(steps "$out") | $best_valid |" \
      "$(score "$out/best.safetensors" test_2016_flickr "$out/ablation_best_test.out" --beam 5 --length-penalty "$best_alpha")"
    echo "no length penalty (alpha 0) | $out | $(steps "$out") |" \
      "$(score "$out/final.safetensors" val "$out/ablation_lp0_val.out" --length-penalty 0) |" \
      "$(score "$out/final.safetensors" test_2016_flickr "$out/ablation_lp0_test.out" --length-penalty 0)"
    echo "greedy | $out | $(steps "$out") | $(score "$out/final.safetensors" val "$out/ablation_greedy_val.out" --beam 1) |" \
      "$(score "$out/final.safetensors" test_2016_flickr "$out/ablation_greedy_test.out" --beam 1)"
  done
} | tee -a "$root/summary.txt"
