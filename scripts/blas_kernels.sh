# shellcheck shell=bash
# blas_kernels.sh — sourced by the bench scripts. `blas_kernels` names the OpenBLAS kernels (its
# "core type") that a process started now loads, and, when OPENBLAS_CORETYPE forces them, which
# ones OpenBLAS would pick for this CPU by itself. qkv and PyTorch both load Debian's OpenBLAS,
# which reads OPENBLAS_CORETYPE once, when it loads, so one answer holds for both sides of a
# benchmark. It matters: on an AVX-512 CPU the AVX2 kernels (Haswell) run sgemm at about half
# the speed of the AVX-512 ones (SkylakeX, Cooperlake) — see docs/measurements.md.

openblas_core() {
  /usr/bin/python3 -c 'import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())'
}

blas_kernels() {
  local used own
  used=$(openblas_core)
  if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    own=$(unset OPENBLAS_CORETYPE; openblas_core)
    echo "OpenBLAS kernels: $used, forced by OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE (its own pick on this CPU: $own)"
  else
    echo "OpenBLAS kernels: $used (its own pick)"
  fi
}
