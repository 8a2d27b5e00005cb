#!/usr/bin/env bash
# run.sh — the main job: installs what is missing, builds qkv, trains the default Transformer on
# the bundled Multi30k English→German data, then translates with it and scores it on the
# test_2016_flickr set.
#
#   scripts/run.sh                    # 30 minutes of training into runs/default
#   QKV_MINUTES=120 scripts/run.sh    # longer (the run continues if runs/default exists)
#   QKV_FRESH=1 scripts/run.sh        # start over instead of continuing runs/default
#
# Ctrl-C during training saves runs/default/last.safetensors; running the script again
# continues from there.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target qkv_cli

out=runs/default
minutes=${QKV_MINUTES:-30}
if [[ -f $out/last.safetensors && "${QKV_FRESH:-0}" != "1" ]]; then
  build/qkv train --resume "$out/last.safetensors" --max-minutes "$minutes" --epochs 100 --valid-sentences 300
else
  rm -rf "$out"
  build/qkv train --out-dir "$out" --max-minutes "$minutes" --epochs 100 --valid-sentences 300
fi

echo
echo "== translating the first sentences of test_2016_flickr (beam 5)"
head -n 5 data/multi30k/test_2016_flickr.en > "$out/examples.en"
build/qkv translate --model "$out/best.safetensors" --beam 5 --input "$out/examples.en" --output "$out/examples.de"
paste -d '\n' "$out/examples.en" "$out/examples.de" | sed 'n;s/^/  → /'
echo
echo "== BLEU on test_2016_flickr (1000 sentences, beam 5)"
build/qkv eval --model "$out/best.safetensors" --beam 5 --tokenize none \
  --source data/multi30k/test_2016_flickr.en --reference data/multi30k/test_2016_flickr.de
echo
echo "training curve: $out/training_curve.svg, validation BLEU: $out/bleu.svg, log: $out/metrics.jsonl"
