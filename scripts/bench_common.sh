# shellcheck shell=bash
# shellcheck disable=SC2034  # quick, machine, load_before, ... are read by the scripts that source this
# bench_common.sh — sourced by the benchmark scripts (from the repository root) for what they all
# start with. It sets dir (BUILD_DIR, default build), cores and jobs (at most 2 build jobs), loads
# blas_kernels (scripts/blas_kernels.sh) and defines:
#   parse_quick "$@"      quick=1 for --quick (a smoke test, not a measurement), else quick=0;
#                         any other argument is a usage error
#   parse_quick_precision "$@"   the same, and precision=bf16 for `--precision bf16` (else fp32):
#                         the scripts that take it then also run both sides with bf16 products
#   build_bench <target>  configures $dir as Release and builds <target>, quietly
#   start_results         results=<a temporary file, removed on exit>, machine=<cores, memory,
#                         OpenBLAS kernels>, load_before=<the three load averages now>
#   load_now              the 1-minute load average, for progress lines
# shellcheck source=scripts/blas_kernels.sh
source scripts/blas_kernels.sh

dir=${BUILD_DIR:-build}
cores=$(nproc)
jobs=$(( cores < 2 ? cores : 2 ))

parse_quick() {
  quick=0
  for arg in "$@"; do
    case $arg in
      --quick) quick=1 ;;
      *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
    esac
  done
}

parse_quick_precision() {
  quick=0
  precision=fp32
  while [ $# -gt 0 ]; do
    case $1 in
      --quick) quick=1 ;;
      --precision)
        case ${2:-} in
          fp32 | bf16) precision=$2; shift ;;
          *) echo "usage: $0 [--quick] [--precision fp32|bf16]" >&2; exit 2 ;;
        esac ;;
      *) echo "usage: $0 [--quick] [--precision fp32|bf16]" >&2; exit 2 ;;
    esac
    shift
  done
}

build_bench() {
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$dir" -j "$jobs" --target "$1" > /dev/null
}

start_results() {
  results=$(mktemp)
  trap 'rm -f "$results"' EXIT
  machine="$cores cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(blas_kernels)"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
}

load_now() { cut -d' ' -f1 /proc/loadavg; }
