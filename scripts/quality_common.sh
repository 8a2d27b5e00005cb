# quality_common.sh — what the translation-quality scripts (pipelines.sh, ablation.sh,
# bf16_quality.sh) share: qkv run with OpenBLAS's own kernel choice, never replacing a run
# unasked, building qkv, and reading figures out of its logs. Sourced from the repository root.
# shellcheck shell=bash

# qkv as a user runs it: OpenBLAS picks its kernels (the environment's OPENBLAS_CORETYPE pin is
# dropped).
qkv() { env -u OPENBLAS_CORETYPE build/qkv "$@"; }

# refuse_existing SCRIPT DIR: stops unless DIR does not exist yet or QKV_FRESH=1 says to replace it.
refuse_existing() {
  if [[ -e $2 && "${QKV_FRESH:-0}" != "1" ]]; then
    echo "$1: $2 exists; move it away or set QKV_FRESH=1 to replace it" >&2
    exit 2
  fi
}

build_qkv_cli() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build build -j "$(nproc)" --target qkv_cli
}

# bleu LOG: the BLEU of a `qkv eval` output.
bleu() { sed -n 's/^BLEU[^=]*= \([0-9.]*\) .*/\1/p' "$1"; }

# steps RUN_DIR: how many steps the run trained.
steps() { grep -o 'after [0-9]* steps' "$1/train.log" | tail -1 | cut -d' ' -f2; }

# chosen_valid RUN_DIR: the validation BLEU of the final model the run's finalize chose.
chosen_valid() { sed -n 's/^qkv finalize: wrote .* valid BLEU \([0-9.]*\)$/\1/p' "$1/train.log"; }

# score MODEL SPLIT LOG [options]: tokenised BLEU of MODEL on data/multi30k/SPLIT (val or
# test_2016_flickr), with qkv eval's output kept in LOG.
score() {
  local model=$1 split=$2 log=$3
  shift 3
  qkv eval --model "$model" --tokenize none --metrics bleu "$@" --source "data/multi30k/$split.en" \
    --reference "data/multi30k/$split.de" > "$log" 2>&1
  bleu "$log"
}
