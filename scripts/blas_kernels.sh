# shellcheck shell=bash
# blas_kernels.sh — sourced by the bench scripts. `blas_kernels` names the OpenBLAS kernels (its
# "core type") that a process started now loads, and, when OPENBLAS_CORETYPE forces them, which
# ones OpenBLAS would pick for this CPU by itself. qkv and PyTorch both load Debian's OpenBLAS,
# which reads OPENBLAS_CORETYPE once, when it loads, so one answer holds for both sides of a
# benchmark. It matters: on an AVX-512 CPU the AVX2 kernels (Haswell) run sgemm at about half
# the speed of the AVX-512 ones (SkylakeX, Cooperlake) — see docs/measurements.md.
#
# Sourcing it also does what the qkv command does for itself (tensor/blas_kernels.h): when
# OPENBLAS_CORETYPE is unset and OpenBLAS's own pick has narrower vectors than the CPU (OpenBLAS
# 0.3.21 does not know Intel's family 6 model 207 and falls back to Prescott's SSE3 kernels, about
# a ninth of Cooperlake's sgemm speed there), it exports OPENBLAS_CORETYPE with the strongest set
# the CPU runs, for both sides of every benchmark, and says so in `blas_kernels`.

openblas_core() {
  /usr/bin/python3 -c 'import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())'
}

# The strongest of OpenBLAS 0.3.21's kernel sets this CPU runs (as strongest_core in
# tensor/blas_kernels.cpp), or nothing without AVX2.
strongest_core() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { [[ $flags == *" $1 "* ]]; }
  if has avx512f && has avx512vl && has avx512bw && has avx512dq; then
    if has avx512_bf16; then echo Cooperlake; else echo SkylakeX; fi
  elif has avx2 && has fma; then
    echo Haswell
  fi
}

vector_rank() {
  case $1 in
    Cooperlake | SapphireRapids) echo 3 ;;
    SkylakeX) echo 2 ;;
    Haswell | Zen) echo 1 ;;
    *) echo 0 ;;
  esac
}

choose_blas_kernels() {
  [ -z "${OPENBLAS_CORETYPE:-}" ] || return 0
  local own best
  own=$(openblas_core)
  best=$(strongest_core)
  if [ -n "$best" ] && [ "$(vector_rank "$best")" -gt "$(vector_rank "$own")" ]; then
    export OPENBLAS_CORETYPE=$best QKV_OPENBLAS_REPLACED=$own
  fi
}

blas_kernels() {
  local used own
  used=$(openblas_core)
  if [ -n "${QKV_OPENBLAS_REPLACED:-}" ]; then
    echo "OpenBLAS kernels: $used, chosen for this CPU (OpenBLAS's own pick, $QKV_OPENBLAS_REPLACED, has narrower vectors; see scripts/blas_kernels.sh)"
  elif [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    own=$(unset OPENBLAS_CORETYPE; openblas_core)
    echo "OpenBLAS kernels: $used, forced by OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE (its own pick on this CPU: $own)"
  else
    echo "OpenBLAS kernels: $used (its own pick)"
  fi
}

choose_blas_kernels
