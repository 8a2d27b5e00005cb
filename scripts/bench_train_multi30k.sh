#!/usr/bin/env bash
# bench_train_multi30k.sh — PyTorch trained with qkv's first Multi30k recipe for a wall-time
# budget (bench/torch_train_multi30k.py), then its test-set translations scored with qkv's own
# BLEU (`qkv eval`), so the figure can stand next to `qkv train --config
# examples/multi30k_d256.toml --max-minutes N` on this machine.
#
#   scripts/bench_train_multi30k.sh                 # 30 minutes of training, then translate and score
#   scripts/bench_train_multi30k.sh --minutes 1 --test-sentences 50   # a smoke test (the model
#                                                   # learns next to nothing and rarely stops at eos)
#   OUT=runs/torch-multi30k BUILD_DIR=build-x THREADS=1 scripts/bench_train_multi30k.sh
#
# Extra arguments after the options below go to the Python trainer unchanged (see its --help).
# THREADS=N fixes torch.set_num_threads(N); unset, the trainer times 1 thread against one per
# core at the start and keeps the faster. PyTorch runs with OMP_WAIT_POLICY=PASSIVE. If the qkv
# command line cannot be built, the Python script's own BLEU (the same definition) still stands.
# A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/blas_kernels.sh
source scripts/blas_kernels.sh

minutes=30
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --minutes=*) minutes=${1#--minutes=}; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done

dir=${BUILD_DIR:-build}
out=${OUT:-runs/torch_multi30k}
cores=$(nproc)
jobs=$(( cores < 2 ? cores : 2 ))
hyp="$out/test_2016_flickr.hyp.de"
mkdir -p "$out"

echo "machine: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(blas_kernels); training for $minutes minutes"
OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train_multi30k.py --minutes "$minutes" --output "$hyp" \
  --threads "${THREADS:-0}" "${extra[@]}" | tee "$out/train.log"

if cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null && cmake --build "$dir" -j "$jobs" --target qkv_cli > /dev/null; then
  # With --test-sentences N only the first N sentences were translated: score against as many.
  ref="$out/test_2016_flickr.ref.de"
  head -n "$(wc -l < "$hyp")" data/multi30k/test_2016_flickr.de > "$ref"
  echo "qkv eval ($(wc -l < "$hyp") sentences):"
  "$dir/qkv" eval --hypothesis "$hyp" --reference "$ref" --tokenize none | tee -a "$out/train.log"
else
  echo "the qkv command line did not build; the BLEU above is the trainer's own (same definition)" >&2
fi
