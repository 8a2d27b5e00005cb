#!/usr/bin/env bash
# fuzz.sh — coverage-guided fuzzing of qkv's parsers of outside bytes with libFuzzer (fuzz/,
# docs/fuzzing.md): builds build-fuzz with clang 14 (ASan + UBSan + coverage), fuzzes a target
# for a given time, then merges the inputs that found new coverage into fuzz/corpus/<target>/
# (commit them: the default test run replays that corpus).
#
#   scripts/fuzz.sh list                  # the targets
#   scripts/fuzz.sh utf8 60               # fuzz one target for 60 seconds (default 60)
#   scripts/fuzz.sh all 1800              # every target in turn, 30 minutes each
#   scripts/fuzz.sh minimize all          # shrink the saved corpora to the inputs their edges need
#
# Each run logs to runs/fuzz/<UTC time>/: <target>.log (libFuzzer's output), summary.txt (per
# target: executions, seconds, cov, ft, corpus added, result), and any crash-*, leak-*,
# timeout-* or oom-* input libFuzzer saved. A finding makes the script exit 1 after the other
# targets have run; reproduce it with build-fuzz/fuzz/fuzz_<target> <file>, or with the replay
# build (build/fuzz/fuzz_<target>_replay <file>) under a debugger.
# Environment: QKV_FUZZ_BUILD (default build-fuzz), QKV_FUZZ_BASE (the ordinary Release build whose
# libqkv.a the targets link, default build), QKV_FUZZ_NO_BUILD=1 (fuzz the binaries already built),
# FUZZ_ARGS (more libFuzzer flags, e.g. -jobs=2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

targets=$(ls fuzz/fuzz_*.cpp | sed -e 's|fuzz/fuzz_||' -e 's|\.cpp$||' | tr '\n' ' ')
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
if [[ $1 == list ]]; then
  echo "$targets"
  exit 0
fi
mode=fuzz
if [[ $1 == minimize ]]; then
  mode=minimize
  shift
  set -- "${1:-all}"
fi
which=$1
seconds=${2:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive whole number, got '$seconds'" >&2; exit 2; }
if [[ $which == all ]]; then
  run=$targets
elif [[ " $targets " == *" $which "* ]]; then
  run=$which
else
  echo "fuzz.sh: unknown target '$which' (targets: $targets, or all)" >&2
  exit 2
fi

build=${QKV_FUZZ_BUILD:-$root/build-fuzz}
base=${QKV_FUZZ_BASE:-$root/build}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ -z ${QKV_FUZZ_NO_BUILD:-} ]]; then
# The library the parsers link against: the ordinary build's (g++; only the parsers and the
# targets are compiled with clang and instrumented, fuzz/CMakeLists.txt).
[[ -f $base/CMakeCache.txt ]] || cmake -S "$root" -B "$base" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build "$base" -j2 --target qkv
[[ -f $base/libqkv.a ]] || { echo "fuzz.sh: $base/libqkv.a is missing (a QKV_SHARED build?); set QKV_FUZZ_BASE" >&2; exit 2; }
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" -DQKV_FUZZ=ON -DQKV_FUZZ_BASE_LIBRARY="$base/libqkv.a" \
  -DQKV_BUILD_TESTS=OFF -DQKV_BUILD_APP=OFF -DQKV_BUILD_EXAMPLES=OFF -DQKV_BUILD_BENCHMARKS=OFF -DQKV_INSTALL=OFF \
  "${launcher[@]}" >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $(for t in $run; do echo "fuzz_$t"; done)
fi

if [[ $mode == minimize ]]; then
  # Inputs with a name of their own (hand-written seeds, regressions) are all kept; the ones
  # fuzzing saved (named by their SHA-1) stay only if they reach an edge the others do not
  # (-use_counters=0: edges, not libFuzzer's finer hit-count features, which keep many more
  # inputs; a fuzzing run grows those back from the edges in minutes).
  for t in $run; do
    corpus=$root/fuzz/corpus/$t
    keep=$(mktemp -d "${TMPDIR:-/tmp}/qkv-min-$t-XXXXXX") rest=$(mktemp -d "${TMPDIR:-/tmp}/qkv-min-$t-XXXXXX")
    before=$(ls "$corpus" | wc -l) before_kb=$(du -sk "$corpus" | cut -f1)
    for f in "$corpus"/*; do
      if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$rest/"; else cp "$f" "$keep/"; fi
    done
    OPENBLAS_NUM_THREADS=1 QKV_NUM_THREADS=1 "$build/fuzz/fuzz_$t" -merge=1 -use_counters=0 "$keep" "$rest" >/dev/null 2>&1 ||
      { echo "fuzz.sh: minimizing $t failed; its corpus is unchanged" >&2; rm -rf "$keep" "$rest"; exit 1; }
    rm -f "$corpus"/*
    cp "$keep"/* "$corpus/"
    rm -rf "$keep" "$rest"
    echo "$t: $before inputs ($before_kb KB) -> $(ls "$corpus" | wc -l) ($(du -sk "$corpus" | cut -f1) KB)"
  done
  exit 0
fi

logs=$root/runs/fuzz/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$logs"
summary=$logs/summary.txt
printf '%-20s %12s %8s %8s %8s %8s  %s\n' target executions seconds cov ft added result | tee "$summary"
export OPENBLAS_NUM_THREADS=1 QKV_NUM_THREADS=1
status=0
for t in $run; do
  bin=$build/fuzz/fuzz_$t
  corpus=$root/fuzz/corpus/$t
  mkdir -p "$corpus"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/qkv-fuzz-$t-XXXXXX")
  dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="$root/fuzz/dict/$t.dict")
  # New inputs go to the scratch directory (the first); the saved corpus seeds it, read-only.
  result=ok
  # 2 GB catches a parser that allocates from a length field. translate_input runs a model, whose
  # many differently sized tensors make ASan's quarantine (freed memory held back to catch use
  # after free) fragment the heap: its RSS climbs ~35 KB an input (1.4 GB after 30k) although
  # nothing leaks (with ASAN_OPTIONS=quarantine_size_mb=0 it stays at 80 MB), so it gets 8 GB.
  rss_mb=2048
  [[ $t == translate_input ]] && rss_mb=8192
  # shellcheck disable=SC2086
  "$bin" "$scratch" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb="$rss_mb" \
    -print_final_stats=1 -artifact_prefix="$logs/$t-" ${FUZZ_ARGS:-} >"$logs/$t.log" 2>&1 || result=FOUND
  before=$(ls "$corpus" | wc -l)
  "$bin" -merge=1 "$corpus" "$scratch" >>"$logs/$t.merge.log" 2>&1 || result="$result merge-failed"
  added=$(($(ls "$corpus" | wc -l) - before))
  rm -rf "$scratch"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  secs=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logs/$t.log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [[ $result != ok ]]; then
    status=1
    grep -E '^==[0-9]+==ERROR|runtime error|^fuzz: |SUMMARY|Test unit written' "$logs/$t.log" | head -5 >&2 || true
  fi
  printf '%-20s %12s %8s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${secs:-?}" "${cov:-?}" "${ft:-?}" "$added" \
    "$result" | tee -a "$summary"
done
echo "fuzz.sh: logs in ${logs#"$root"/}; new corpus files are in fuzz/corpus/ (git status shows them)"
exit $status
