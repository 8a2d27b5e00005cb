#!/usr/bin/env bash
# leaderboard.sh — every registered attention variant trained with the same Transformer recipe
# on the bundled Multi30k for the same fixed number of steps, side by side: validation and test
# BLEU, training tokens/s, decoding sentences/s, peak memory and parameter count, written as
# markdown tables to docs/leaderboard.md (raw logs under runs/leaderboard/).
#
#   scripts/leaderboard.sh                        # the whole table: about two hours on 2 cores
#   scripts/leaderboard.sh --variant conv         # one variant alone (its table goes to runs/leaderboard/)
#   scripts/leaderboard.sh --variant scaled_dot --seeds 5   # the default variant alone, seeds 1..5
#   scripts/leaderboard.sh --steps 20 --variant local --table /tmp/smoke.md   # a smoke test
#
# Three tables: (1) the variant as self-attention in encoder and decoder, cross-attention left at
# scaled_dot; (2) the variant in both places; (3) scaled_dot over --seeds seeds (default 3), whose
# spread says which differences in (1) and (2) are noise. The variants come from `qkv variants
# --tsv` when the script runs, so a variant registered tomorrow joins without an edit here; one
# that cannot be cross-attention (the registry's answer, AttentionVariant::position_tied) gets a
# row in (2) that says why instead of numbers. Every variant can be the decoder's causal
# self-attention (the conformance test checks each under causal masks, and
# tests/models/cached_attention_test.cpp its step-by-step decoding), so none is skipped in (1).
# A run that fails gets a row saying so and where its log is.
#
# The recipe: examples/multi30k_d128.toml (d 128, 4 heads, 4+4 layers, feed-forward 256, dropout
# 0.3, peak learning rate 3e-3, seed 1) with its schedule fitted to the budget: warmup a quarter of
# the steps, then cosine decay to 0 at the last step (the schedule docs/measurements.md found
# best for a fixed budget). The budget is a number of steps, not minutes, so the table does not
# depend on how busy the machine is. 600 steps by default (2.75 epochs of Multi30k at this
# recipe's batch), chosen from docs/measurements.md's rate for this recipe, 29,463 steps in 120
# minutes = 0.244 s a step for scaled_dot with its validations:
#   runs = 17 (table 1) + 14 (table 2: 17 less scaled_dot, the same run as table 1's, less the
#          2 position-tied variants) + 2 (table 3: seeds 2 and 3; seed 1 is table 1's) = 33
#   time = 33 × (600 steps × 0.244 s × 1.3, the variants' mean cost over scaled_dot's step from
#          bench_variants, + ~30 s to load, validate and decode val and test) ≈ 105 + 17 min ≈ 2 h
# With more variants registered the table takes proportionally longer; --steps sets the budget.
#
# Scores: the last checkpoint, greedy, `qkv eval --tokenize none` on the tokenised lowercased
# files (validation: val, 1,014 sentences; test: test_2016_flickr, 1,000). Training tokens/s:
# the median over steps of metrics.jsonl's tokens_per_s (source + target). Decoding: test
# sentences per second as `qkv eval` times its translation. Peak memory: the training process's
# maximum resident set size (/usr/bin/time -v). Parameters: as `qkv train` counts them.
# A measurement, not a test: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

command_line="scripts/leaderboard.sh${*:+ $*}"
steps=600
seeds=3
only=""
out=runs/leaderboard
table=""
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --variant) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "leaderboard.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $steps in ''|*[!0-9]*|0) echo "leaderboard.sh: --steps needs a positive whole number, got '$steps'" >&2; exit 2 ;; esac
case $seeds in ''|*[!0-9]*|0) echo "leaderboard.sh: --seeds needs a positive whole number, got '$seeds'" >&2; exit 2 ;; esac
if [ -z "$table" ]; then
  if [ -n "$only" ]; then table="$out/leaderboard-$only.md"; else table=docs/leaderboard.md; fi
fi

if [ ! -x /usr/bin/time ]; then
  echo "leaderboard.sh: needs /usr/bin/time for the peak memory (Debian: apt-get install time)" >&2
  exit 1
fi
dir=${BUILD_DIR:-build}
if [ -z "${QKV:-}" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$dir" -j 2 --target qkv_cli > /dev/null
  QKV=$dir/qkv
fi
data=data/multi30k
warmup=$(( steps / 4 > 0 ? steps / 4 : 1 ))

# name <TAB> yes|no <TAB> why not (cross-attention), from the registry
mapfile -t registry < <("$QKV" variants --tsv)
if [ -n "$only" ]; then
  found=""
  for line in "${registry[@]}"; do [ "${line%%$'\t'*}" = "$only" ] && found=$line; done
  if [ -z "$found" ]; then
    echo "leaderboard.sh: no variant '$only' (qkv variants lists: $(printf '%s ' "${registry[@]%%$'\t'*}"))" >&2
    exit 2
  fi
  registry=("$found")
fi
mkdir -p "$out" "$(dirname "$table")"

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run NAME DIR SEED QKV-TRAIN-FLAGS... — trains and scores one configuration; prints its table
# cells "val | test | tokens/s | sentences/s | MB | parameters" (or why it has none).
run() {
  local name=$1 run_dir=$2 seed=$3
  shift 3
  mkdir -p "$run_dir"
  echo "== $name: $* (seed $seed, $steps steps) -> $run_dir" >&2
  local status=0
  /usr/bin/time -v -o "$run_dir/time.txt" "$QKV" train --config examples/multi30k_d128.toml \
    --max-steps "$steps" --warmup "$warmup" --schedule cosine --decay-steps "$steps" --seed "$seed" \
    --valid-sentences 100 --keep-checkpoints 0 --no-progress --overwrite --out-dir "$run_dir" "$@" \
    > "$run_dir/train.out" 2>&1 || status=$?
  if [ "$status" -ne 0 ] || [ ! -f "$run_dir/last.safetensors" ]; then
    echo "   failed (exit $status): $(tail -n 1 "$run_dir/train.out")" >&2
    echo "failed (exit $status), see \`$run_dir/train.out\` | | | | |"
    return
  fi
  local split
  for split in val test_2016_flickr; do
    "$QKV" eval --model "$run_dir/last.safetensors" --source "$data/$split.en" --reference "$data/$split.de" \
      --tokenize none --metrics bleu > "$run_dir/eval_$split.out" 2>&1 || status=$?
  done
  if [ "$status" -ne 0 ]; then
    echo "   evaluation failed (exit $status), see $run_dir/eval_*.out" >&2
    echo "evaluation failed (exit $status), see \`$run_dir/eval_*.out\` | | | | |"
    return
  fi
  local val test tokens sentences memory params
  val=$(sed -n 's/^BLEU[^=]*= \([0-9.]*\) .*/\1/p' "$run_dir/eval_val.out")
  test=$(sed -n 's/^BLEU[^=]*= \([0-9.]*\) .*/\1/p' "$run_dir/eval_test_2016_flickr.out")
  tokens=$(grep '"kind":"train"' "$run_dir/metrics.jsonl" | sed -n 's/.*"tokens_per_s":\([0-9.eE+-]*\).*/\1/p' | median)
  sentences=$(sed -n 's/^translated \([0-9]*\) sentences in \([0-9.]*\) s.*/\1 \2/p' "$run_dir/eval_test_2016_flickr.out" |
    awk '{ printf "%.1f", ($2 > 0 ? $1 / $2 : 0) }')
  memory=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$run_dir/time.txt" | awk '{ printf "%.0f", $1 / 1024 }')
  params=$(sed -n 's/.*transformer model, \([0-9]*\) parameters.*/\1/p' "$run_dir/train.out")
  tokens=$(printf '%.0f' "$tokens")
  echo "   val $val, test $test, $tokens tokens/s, $sentences sentences/s, $memory MB, $params parameters" >&2
  echo "$val | $test | $tokens | $sentences | $memory | $params"
}

header="| variant | val BLEU | test BLEU | train tokens/s | decode sentences/s | peak MB | parameters |"
rule="| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
self_rows=() both_rows=() seed_rows=()
declare -A self_cells
for line in "${registry[@]}"; do
  IFS=$'\t' read -r name cross why_not <<< "$line"
  cells=$(run "$name" "$out/self/$name" 1 --self-attention "$name")
  self_cells[$name]=$cells
  self_rows+=("| $name | $cells |")
  if [ "$name" = scaled_dot ]; then
    both_rows+=("| $name (the run above: its cross-attention is scaled_dot) | $cells |")
  elif [ "$cross" != yes ]; then
    echo "== $name: not run as cross-attention: $why_not" >&2
    both_rows+=("| $name | not run as cross-attention: $why_not | | | | | |")
  else
    both_rows+=("| $name | $(run "$name" "$out/both/$name" 1 --self-attention "$name" --cross-attention "$name") |")
  fi
done

if [ -z "$only" ] || [ "$only" = scaled_dot ]; then
  for seed in $(seq 1 "$seeds"); do
    if [ "$seed" = 1 ] && [ -n "${self_cells[scaled_dot]:-}" ]; then  # table 1's run
      cells=${self_cells[scaled_dot]}
    else
      cells=$(run scaled_dot "$out/seeds/scaled_dot-$seed" "$seed" --self-attention scaled_dot)
    fi
    seed_rows+=("| $seed | $cells |")
  done
fi

blas=$(find "$out" -name train.out -exec sed -n 's/.*OpenBLAS kernels \([A-Za-z0-9]*\).*/\1/p' {} + | head -n 1)
{
  echo "# Attention variants side by side"
  echo
  echo '```sh'
  echo "$command_line"
  echo '```'
  echo
  echo "At $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, OpenBLAS kernels ${blas:-?}."
  echo "Every run: \`examples/multi30k_d128.toml\` (d 128, 4 heads, 4+4 layers, feed-forward 256, dropout 0.3,"
  echo "peak learning rate 3e-3) for **$steps steps**, warmup $warmup, cosine decay to 0 at step $steps, seed 1."
  echo "BLEU: the last checkpoint, greedy, on the tokenised lowercased text (\`qkv eval --tokenize none\`);"
  echo "validation is val (1,014 sentences), test is test_2016_flickr (1,000). Train tokens/s: median over"
  echo "steps (source + target). Decode: test sentences per second, greedy. Peak MB: the training process's"
  echo "maximum resident set size. How the budget was chosen, and what each column means: the top of"
  echo "\`scripts/leaderboard.sh\`. Raw logs: \`$out/\`."
  echo
  echo "## The variant as self-attention (cross-attention: scaled_dot)"
  echo
  echo "$header"
  echo "$rule"
  printf '%s\n' "${self_rows[@]}"
  echo
  echo "## The variant as self- and cross-attention"
  echo
  echo "$header"
  echo "$rule"
  printf '%s\n' "${both_rows[@]}"
  if [ ${#seed_rows[@]} -gt 0 ]; then
    echo
    echo "## The spread: scaled_dot over $seeds seeds"
    echo
    echo "A difference between two rows above smaller than this spread is noise."
    echo
    echo "| seed | val BLEU | test BLEU | train tokens/s | decode sentences/s | peak MB | parameters |"
    echo "$rule"
    printf '%s\n' "${seed_rows[@]}"
    printf '%s\n' "${seed_rows[@]}" | awk -F'|' '$3 ~ /[0-9]/ { n++; v = $3 + 0; t = $4 + 0; sv += v; st += t; qv += v * v; qt += t * t
        if (n == 1 || v < lv) lv = v; if (n == 1 || v > hv) hv = v; if (n == 1 || t < lt) lt = t; if (n == 1 || t > ht) ht = t }
      END { if (n > 1) { mv = sv / n; mt = st / n
        printf "| mean ± sd (min–max) | %.2f ± %.2f (%.2f–%.2f) | %.2f ± %.2f (%.2f–%.2f) | | | | |\n",
          mv, sqrt((qv - n * mv * mv) / (n - 1)), lv, hv, mt, sqrt((qt - n * mt * mt) / (n - 1)), lt, ht } }'
  fi
} > "$table"
echo "wrote $table" >&2
