#!/usr/bin/env bash
# corpus_memory.sh — what a large training corpus costs `qkv train` before it trains: the peak
# memory (maximum resident set size) and wall time of reading the pairs, learning the
# vocabularies and encoding them, on Multi30k's tokenised training set repeated REPEATS times
# (29,000 pairs each), followed by a single step of a model so small (d 8, 1+1 layers) that the
# data dominate. The figures of docs/distributed.md's "Data that outgrows memory" (issue 21).
#
#   scripts/corpus_memory.sh 35                  # 1,015,000 pairs
#   scripts/corpus_memory.sh 350                 # 10,150,000 pairs (1.3 GB of text in $TMPDIR)
#   MPI_RANKS=2 scripts/corpus_memory.sh 35      # under mpirun -np 2: one figure per rank
#   QKV_ARGS="--tokenizer bpe --joint-vocab --finalize 0" scripts/corpus_memory.sh 35
#
# QKV_ARGS replaces the vocabulary options, which are by default the first recipe's (word
# vocabularies; qkv train's recipe learns joint BPE) with no final model chosen at the end.
#
# The repeated files are written to a temporary directory and removed at exit. Peak memory does
# not depend on how busy the machine is; the time does.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-}
case $repeats in ''|*[!0-9]*|0) echo "usage: $0 REPEATS (a positive whole number; 35 gives 1,015,000 pairs)" >&2; exit 2 ;; esac
if [ ! -x /usr/bin/time ]; then
  echo "corpus_memory.sh: needs /usr/bin/time (Debian: apt-get install time)" >&2
  exit 1
fi
QKV=${QKV:-${BUILD_DIR:-build}/qkv}
[ -x "$QKV" ] || { echo "corpus_memory.sh: no $QKV (build qkv_cli first)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/corpus_memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
for side in en de; do
  for _ in $(seq "$repeats"); do cat "data/multi30k/train.$side"; done > "$work/train.$side"
done
pairs=$(wc -l < "$work/train.en")
launcher=()
[ -n "${MPI_RANKS:-}" ] && launcher=(mpirun --allow-run-as-root --oversubscribe -np "$MPI_RANKS")
# Each process writes its own time.<pid>.txt (under mpirun, one per rank): $0, $$ and $@ are
# the inner shell's, and QKV_ARGS is a list of options.
# shellcheck disable=SC2016,SC2086
"${launcher[@]}" sh -c 'exec /usr/bin/time -v -o "$0/time.$$.txt" "$@"' "$work" "$QKV" train --train-source "$work/train.en" \
  --train-target "$work/train.de" --d-model 8 --heads 1 --encoder-layers 1 --decoder-layers 1 --ffn-dim 8 \
  --max-steps 1 --max-tokens 64 --valid-sentences 2 --no-progress --out-dir "$work/run" \
  ${QKV_ARGS:---tokenizer whitespace --no-joint-vocab --no-share-embeddings --keep-checkpoints 0 --finalize 0} \
  > "$work/train.out" 2>&1 || { cat "$work/train.out" >&2; exit 1; }
grep -E "training pairs|vocabularies" "$work/train.out" | head -n 2
for t in "$work"/time.*.txt; do
  peak=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$t")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)/\1/p' "$t")
  echo "$pairs pairs: peak RSS $(( peak / 1024 )) MB, wall $wall"
done
