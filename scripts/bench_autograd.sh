#!/usr/bin/env bash
# bench_autograd.sh — autograd overhead per recorded op on tiny tensors, qkv against PyTorch's
# eager mode on the same 177-op expression (bench/autograd_overhead.cpp and
# bench/torch_autograd_overhead.py), in one table with the ratio torch time / qkv time.
#
#   scripts/bench_autograd.sh          # times in process CPU time (robust on a busy machine)
#   scripts/bench_autograd.sh wall     # times in wall-clock time (use on a quiet machine)
#
# A benchmark, not a test: it always exits 0 once both sides ran. The goal is qkv at least 3x
# faster than PyTorch for forward+backward.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/blas_kernels.sh
source scripts/blas_kernels.sh

clock=${1:-cpu}
[[ "$clock" == cpu || "$clock" == wall ]] || { echo "usage: $0 [cpu|wall]" >&2; exit 2; }

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build-bench -j "$(nproc)" --target autograd_overhead > /dev/null

load=$(cut -d' ' -f1 /proc/loadavg)
echo "machine: $(nproc) cores, load average $load; clock: $clock; $(blas_kernels)"
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "note: the machine is busy; wall-clock numbers would be inflated (CPU time is less affected)"
fi

qkv_out=$(build-bench/autograd_overhead "$clock")
torch_out=$(/usr/bin/python3 bench/torch_autograd_overhead.py "$clock")
echo "$qkv_out" | grep -v '^RESULT'
echo "$torch_out" | grep -v '^RESULT'

# The value of `RESULT <key> <value>` in the given output.
result() { awk -v k="$2" '$1 == "RESULT" && $2 == k { print $3 }' <<< "$1"; }

qkv_ops=$(result "$qkv_out" ops)
torch_ops=$(result "$torch_out" ops)
if [[ "$qkv_ops" != "$torch_ops" ]]; then
  echo "warning: the two sides recorded different numbers of ops ($qkv_ops vs $torch_ops)" >&2
fi

echo
echo "median us per recorded op, $qkv_ops ops per pass, shapes [4,4] and [4], float32, $clock time"
printf '%-18s %10s %12s %14s %12s\n' pass qkv torch "torch threads" torch/qkv
for pass in forward_backward forward forward_nograd; do
  q=$(result "$qkv_out" "$pass")
  t=$(result "$torch_out" "$pass")
  threads=$(result "$torch_out" "${pass}_threads")
  printf '%-18s %10.3f %12.3f %14s %11.1fx\n' "$pass" "$q" "$t" "$threads" "$(awk -v t="$t" -v q="$q" 'BEGIN { print t / q }')"
done

ratio=$(awk -v t="$(result "$torch_out" forward_backward)" -v q="$(result "$qkv_out" forward_backward)" 'BEGIN { printf "%.1f", t / q }')
if awk -v r="$ratio" 'BEGIN { exit !(r >= 3) }'; then
  echo "target (qkv >= 3x faster than torch, forward+backward): met (${ratio}x)"
else
  echo "target (qkv >= 3x faster than torch, forward+backward): MISSED (${ratio}x)"
fi
