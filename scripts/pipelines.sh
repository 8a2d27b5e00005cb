#!/usr/bin/env bash
# pipelines.sh — the main job's recipe (examples/multi30k_raw.toml: d128, joint vocabulary of
# 10,000, shared embeddings, final model chosen on validation) trained for MINUTES through each
# text pipeline of issue 18, then scored on test_2016_flickr against the raw references as
# sacreBLEU scores (13a), beam 5:
#
#   main       the recipe as it is: a SentencePiece unigram model on the raw text   cased and --lowercase
#   rawbpe     the same with qkv's own rawbpe (--tokenizer rawbpe)                   cased and --lowercase
#   tokenised  joint BPE, 10,000 merges, on the tokenised lowercased files            --lowercase
#              (its output is lowercased and already split, so 13a leaves it nearly as is)
#
#   scripts/pipelines.sh                           # all three, 30 minutes each (about 100 minutes)
#   PIPELINES="main tokenised" MAIN_RUN=runs/x scripts/pipelines.sh
#                                                  # the main run taken from an earlier run
#                                                  # of the same recipe, kernels and length
#   MINUTES=120 QKV_FRESH=1 scripts/pipelines.sh
#
# OpenBLAS runs its own choice of kernels (OPENBLAS_CORETYPE is dropped), as for a user. The
# budget is wall time: run it on a quiet machine. Summary: runs/pipelines/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quality_common.sh

minutes=${MINUTES:-30}
read -r -a pipelines <<< "${PIPELINES:-main rawbpe tokenised}"
root=runs/pipelines
run_dir() {
  if [[ $1 == main && -n ${MAIN_RUN:-} ]]; then echo "$MAIN_RUN"; else echo "$root/$1-$minutes"; fi
}
for p in "${pipelines[@]}"; do
  case $p in main|rawbpe|tokenised) ;; *) echo "pipelines.sh: PIPELINES may hold main, rawbpe and tokenised, not '$p'" >&2; exit 2 ;; esac
  [[ $p == main && -n ${MAIN_RUN:-} ]] || refuse_existing pipelines.sh "$(run_dir "$p")"
done
if [[ -n ${MAIN_RUN:-} && ! -f $MAIN_RUN/final.safetensors ]]; then
  echo "pipelines.sh: MAIN_RUN=$MAIN_RUN has no final.safetensors" >&2
  exit 2
fi

build_qkv_cli
mkdir -p "$root"

for p in "${pipelines[@]}"; do
  out=$(run_dir "$p")
  if [[ $p == main && -n ${MAIN_RUN:-} ]]; then continue; fi
  case $p in
    main) options=(--config examples/multi30k_raw.toml) ;;
    rawbpe) options=(--config examples/multi30k_raw.toml --tokenizer rawbpe) ;;
    # multi30k_raw.toml is multi30k_tokenised.toml (qkv train's recipe) on the raw files, with a
    # vocabulary of 10k pieces learned by SentencePiece instead of 10k BPE merges.
    tokenised) options=(--config examples/multi30k_tokenised.toml) ;;
  esac
  echo "== $p, $minutes minutes: $out"
  qkv train "${options[@]}" --out-dir "$out" --overwrite --max-minutes "$minutes" > "$out.out" 2>&1
done

score() {  # pipeline, run dir: "cased lowercased" BLEU on test_2016_flickr
  local source=data/multi30k/raw/test_2016_flickr.en cased="-"
  [[ $1 == tokenised ]] && source=data/multi30k/test_2016_flickr.en
  for lowercase in --lowercase ""; do
    [[ $1 == tokenised && -z $lowercase ]] && continue
    qkv eval --model "$2/final.safetensors" --beam 5 $lowercase --metrics bleu --source "$source" \
      --reference data/multi30k/raw/test_2016_flickr.de > "$2/pipelines_test${lowercase:+_lowercase}.out" 2>&1
  done
  [[ $1 != tokenised ]] && cased=$(bleu "$2/pipelines_test.out")
  echo "$cased $(bleu "$2/pipelines_test_lowercase.out")"
}
{
  echo "$minutes minutes, test_2016_flickr against the raw references, 13a, beam 5: pipeline | steps | BLEU cased | BLEU --lowercase"
  for p in "${pipelines[@]}"; do
    out=$(run_dir "$p")
    read -r cased lower <<< "$(score "$p" "$out")"
    echo "$p ($out) | after $(steps "$out") steps | $cased | $lower"
  done
} | tee -a "$root/summary.txt"
