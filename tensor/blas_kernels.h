// blas_kernels.h — which of OpenBLAS's kernel sets ("core types") this process runs on, for
// the line `qkv train` and the benchmarks print about the machine.
//
// Debian's OpenBLAS carries kernels for many CPUs and picks one set when it loads, unless the
// environment variable OPENBLAS_CORETYPE names one. Pinning the AVX2 set (Haswell) on a CPU
// with AVX-512 is an easy way to lose half of every matrix product's speed: on the Zen 5
// machine qkv is developed on, sgemm runs at about 110 GFLOP/s per core with Haswell's kernels
// and about 200 with Cooperlake's (docs/measurements.md). So the note says so when it happens.
//
//   blas::kernels_note()  // "OpenBLAS kernels Cooperlake"
//                         // "OpenBLAS kernels Haswell, pinned by OPENBLAS_CORETYPE=Haswell; this
//                         //  CPU has AVX-512: unset OPENBLAS_CORETYPE ..."
#pragma once

#include <string>
#include <string_view>

namespace qkv::blas {

// The note for this process: the kernel set OpenBLAS loaded, the OPENBLAS_CORETYPE setting and
// whether this CPU has the AVX-512 subsets OpenBLAS's AVX-512 kernels need (F, VL, BW, DQ).
std::string kernels_note();

// The same note for given facts (`pinned`: the value of OPENBLAS_CORETYPE, empty when unset).
std::string kernels_note(std::string_view core, std::string_view pinned, bool cpu_has_avx512);

}  // namespace qkv::blas
