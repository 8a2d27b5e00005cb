#!/usr/bin/env bash
# bf16_quality.sh — translation quality with bf16 products against fp32 (docs/bf16.md): the
# main job's recipe (examples/multi30k_raw.toml) trained for MINUTES in fp32, then in bf16, each
# into runs/bf16-quality/<precision>-<minutes>/, and each final model (chosen on validation by
# the run) scored with beam 5 on validation and on test_2016_flickr, cased and lowercased.
# OpenBLAS runs its own choice of kernels for both (OPENBLAS_CORETYPE is dropped), so the fp32
# run has the fastest fp32 products this CPU offers.
#
#   scripts/bf16_quality.sh                 # 30 minutes each
#   MINUTES=120 scripts/bf16_quality.sh     # the 2-hour pair
#   QKV_FRESH=1 scripts/bf16_quality.sh     # replace earlier runs of the same length
#   PRECISIONS=fp32 MINUTES=120 scripts/bf16_quality.sh   # one half of the pair (the other later)
#   TRAIN_OPTIONS="--tokenizer rawbpe" ...  # more qkv train options, for both halves: the pairs
#                                           # measured before the recipe moved to SentencePiece
#                                           # (December 2026) used rawbpe; a half run later
#                                           # must use it too to pair with them
#
# The budget is wall time, so run it on a quiet machine, and on a CPU with AVX512_BF16 (it
# refuses to start elsewhere, where bf16 would run as fp32). Summary: runs/bf16-quality/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quality_common.sh

minutes=${MINUTES:-30}
read -r -a precisions <<< "${PRECISIONS:-fp32 bf16}"
read -r -a train_options <<< "${TRAIN_OPTIONS:-}"
root=runs/bf16-quality
for p in "${precisions[@]}"; do
  if [[ $p != fp32 && $p != bf16 ]]; then
    echo "bf16_quality.sh: PRECISIONS may hold fp32 and bf16, not '$p'" >&2
    exit 2
  fi
done
if ! grep -qw avx512_bf16 /proc/cpuinfo; then
  echo "bf16_quality.sh: this CPU has no AVX512_BF16, so --precision bf16 would run fp32" >&2
  exit 2
fi
for p in "${precisions[@]}"; do refuse_existing bf16_quality.sh "$root/$p-$minutes"; done

build_qkv_cli
mkdir -p "$root"

for p in "${precisions[@]}"; do
  out=$root/$p-$minutes
  echo "== $p, $minutes minutes: $out"
  qkv train --config examples/multi30k_raw.toml --out-dir "$out" --overwrite --max-minutes "$minutes" \
    --precision "$p" "${train_options[@]}" > "$out.out" 2>&1
  for set in val test_2016_flickr; do
    for lowercase in "" --lowercase; do
      qkv eval --model "$out/final.safetensors" --beam 5 $lowercase --precision "$p" --metrics bleu \
        --source "data/multi30k/raw/$set.en" --reference "data/multi30k/raw/$set.de" \
        > "$out/eval_$set${lowercase:+_lowercase}.out" 2>&1
    done
  done
done

{
  echo "$minutes minutes: precision, steps, final model, BLEU (val, val lowercased, test, test lowercased)"
  for p in fp32 bf16; do
    out=$root/$p-$minutes
    [[ -f $out/eval_test_2016_flickr_lowercase.out ]] || { echo "$p | not run yet"; continue; }
    trained="after $(steps "$out") steps"
    final=$(grep 'qkv finalize: wrote' "$out/train.log" | sed 's/.*safetensors: //')
    scores=$(for f in val val_lowercase test_2016_flickr test_2016_flickr_lowercase; do
      bleu "$out/eval_$f.out"
    done | paste -sd ' ')
    echo "$p | $trained | $final | $scores"
  done
} | tee -a "$root/summary.txt"
