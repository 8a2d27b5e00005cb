// blas_kernels.h — which of OpenBLAS's kernel sets ("core types") this process runs on, for
// the line `qkv train` and the benchmarks print about the machine, and the choice of a better
// one where OpenBLAS's own pick leaves the CPU's vector units unused.
//
// Debian's OpenBLAS carries kernels for many CPUs and picks one set when it loads, unless the
// environment variable OPENBLAS_CORETYPE names one. Two ways to lose most of every matrix
// product's speed:
//  - pinning the AVX2 set (Haswell) on a CPU with AVX-512: on a Zen 5, sgemm runs at about
//    110 GFLOP/s per core with Haswell's kernels and about 200 with Cooperlake's;
//  - a CPU that OpenBLAS 0.3.21 does not recognise: on an Intel Xeon of family 6 model 207
//    (Emerald Rapids, AVX-512 with BF16) it falls back to Prescott's SSE3 kernels, about 16
//    GFLOP/s per core against 145 with Cooperlake's (docs/measurements.md).
// The first is the user's setting, so the note only warns. The second is nobody's choice, so a
// program may call `reexec_with_better_kernels` first thing in main: it runs the program again,
// once, with OPENBLAS_CORETYPE set to the strongest set this CPU can run (OpenBLAS reads the
// variable when it loads, before main, so setting it in the running process is too late).
//
//   blas::kernels_note()  // "OpenBLAS kernels Cooperlake"
//                         // "OpenBLAS kernels Haswell, pinned by OPENBLAS_CORETYPE=Haswell; this
//                         //  CPU has AVX-512: unset OPENBLAS_CORETYPE ..."
//                         // "OpenBLAS kernels Cooperlake, chosen by qkv: OpenBLAS picks Prescott ..."
#pragma once

#include <string>
#include <string_view>

namespace qkv::blas {

// The vector instructions OpenBLAS's kernel sets need, as this CPU (and its OS) supports them.
struct CpuVectors {
  bool avx2_fma = false;     // Haswell, Zen
  bool avx512 = false;       // F, VL, BW, DQ: SkylakeX
  bool avx512_bf16 = false;  // with avx512: Cooperlake
};
CpuVectors this_cpu();

// The strongest of OpenBLAS 0.3.21's kernel sets that `cpu` can run ("Cooperlake", "SkylakeX",
// "Haswell"), or "" when it has no AVX2.
std::string_view strongest_core(const CpuVectors& cpu);

// True for OpenBLAS's AVX-512 kernel sets (SkylakeX, Cooperlake, SapphireRapids).
bool avx512_kernels(std::string_view core);

// The kernel set to run instead of `loaded` (OpenBLAS's own pick), or "" to keep it: only when
// nothing pinned it (`pinned` empty) and `loaded` uses a narrower vector width than `cpu` has.
std::string_view better_core(std::string_view loaded, std::string_view pinned, const CpuVectors& cpu);

// Runs this program again (execv of /proc/self/exe with the same arguments) with
// OPENBLAS_CORETYPE set to better_core(...), when there is one; returns when there is none, when
// this process already is the re-run, or when execv fails (then nothing changed). Call it first
// thing in main, before any thread starts.
void reexec_with_better_kernels(char** argv);

// The note for this process: the kernel set OpenBLAS loaded, the OPENBLAS_CORETYPE setting and
// whether this CPU has the AVX-512 subsets OpenBLAS's AVX-512 kernels need (F, VL, BW, DQ).
std::string kernels_note();

// The same note for given facts (`pinned`: the value of OPENBLAS_CORETYPE, empty when unset;
// `replaced`: OpenBLAS's own pick when reexec_with_better_kernels set the variable, else empty).
std::string kernels_note(std::string_view core, std::string_view pinned, bool cpu_has_avx512,
                         std::string_view replaced = {});

}  // namespace qkv::blas
