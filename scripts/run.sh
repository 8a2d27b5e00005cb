#!/usr/bin/env bash
# run.sh — the main job: installs what is missing, builds qkv, trains a Transformer on the
# bundled raw (true case, untokenised) Multi30k English→German text with a lossless
# SentencePiece unigram model (examples/multi30k_raw.toml), then translates typed sentences with
# it and scores it on the test_2016_flickr set as sacreBLEU does (13a, cased; and lowercased).
#
#   scripts/run.sh                    # 30 minutes of training into runs/default
#   QKV_MINUTES=120 scripts/run.sh    # longer (the run continues if runs/default exists)
#   QKV_FRESH=1 scripts/run.sh        # start over instead of continuing runs/default
#
# Ctrl-C during training saves runs/default/last.safetensors; running the script again
# continues from there, with the recipe that run started with (a runs/default from before the
# recipe moved from rawbpe to SentencePiece keeps rawbpe; QKV_FRESH=1 starts the new one).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target qkv_cli

out=runs/default
minutes=${QKV_MINUTES:-30}
if [[ -f $out/last.safetensors && "${QKV_FRESH:-0}" != "1" ]]; then
  build/qkv train --resume "$out/last.safetensors" --max-minutes "$minutes"
else
  build/qkv train --config examples/multi30k_raw.toml --out-dir "$out" --max-minutes "$minutes" --overwrite
fi

model=$out/final.safetensors   # weights and length penalty chosen on validation at the end of the run
[[ -f $model ]] || model=$out/best.safetensors

echo
echo "== translating typed sentences (beam 5)"
printf '%s\n' "A man in an orange hat is looking at something." \
  "Two dogs are playing in the snow." "A little girl climbs into a wooden playhouse." |
  build/qkv translate --model "$model" --beam 5
echo
echo "== BLEU on test_2016_flickr (1000 sentences, beam 5) against the raw references, as sacreBLEU scores"
build/qkv eval --model "$model" --beam 5 \
  --source data/multi30k/raw/test_2016_flickr.en --reference data/multi30k/raw/test_2016_flickr.de
build/qkv eval --model "$model" --beam 5 --lowercase --metrics bleu \
  --source data/multi30k/raw/test_2016_flickr.en --reference data/multi30k/raw/test_2016_flickr.de
echo
echo "training curve: $out/training_curve.svg, validation BLEU: $out/bleu.svg, log: $out/train.log"
