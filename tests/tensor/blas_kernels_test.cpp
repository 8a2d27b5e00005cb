// blas_kernels_test.cpp — the note naming OpenBLAS's kernel set, its warning when
// OPENBLAS_CORETYPE pins AVX2 kernels on an AVX-512 CPU, and the choice that replaces a fallback set.
#include <catch2/catch.hpp>

#include <cblas.h>

#include <string>

#include "tensor/blas_kernels.h"

using qkv::blas::kernels_note;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("the kernels note names the kernel set and warns only about an AVX2 pin on an AVX-512 CPU") {
  CHECK(kernels_note("Cooperlake", "", true) == "OpenBLAS kernels Cooperlake");
  CHECK(kernels_note("Haswell", "", true) == "OpenBLAS kernels Haswell");  // OpenBLAS's own choice: no advice

  const std::string pinned = kernels_note("Haswell", "Haswell", true);
  CHECK(contains(pinned, "OpenBLAS kernels Haswell, pinned by OPENBLAS_CORETYPE=Haswell"));
  CHECK(contains(pinned, "unset OPENBLAS_CORETYPE"));

  CHECK(kernels_note("Haswell", "Haswell", false) == "OpenBLAS kernels Haswell, pinned by OPENBLAS_CORETYPE=Haswell");
  CHECK(kernels_note("SkylakeX", "SkylakeX", true) ==
        "OpenBLAS kernels SkylakeX, pinned by OPENBLAS_CORETYPE=SkylakeX");
  CHECK(kernels_note("Cooperlake", "cooperlake", true) ==
        "OpenBLAS kernels Cooperlake, pinned by OPENBLAS_CORETYPE=cooperlake");
}

TEST_CASE("the kernels note for this process names the kernel set OpenBLAS loaded") {
  const std::string note = kernels_note();
  CHECK(contains(note, std::string("OpenBLAS kernels ") + openblas_get_corename()));
}

TEST_CASE("a kernel set OpenBLAS falls back to on a CPU it does not know is replaced by the strongest the CPU runs") {
  using qkv::blas::better_core;
  using qkv::blas::CpuVectors;
  using qkv::blas::strongest_core;
  const CpuVectors emerald_rapids{.avx2_fma = true, .avx512 = true, .avx512_bf16 = true};
  const CpuVectors skylake_x{.avx2_fma = true, .avx512 = true, .avx512_bf16 = false};
  const CpuVectors zen3{.avx2_fma = true, .avx512 = false, .avx512_bf16 = false};
  const CpuVectors old{.avx2_fma = false, .avx512 = false, .avx512_bf16 = false};
  CHECK(strongest_core(emerald_rapids) == "Cooperlake");
  CHECK(strongest_core(skylake_x) == "SkylakeX");
  CHECK(strongest_core(zen3) == "Haswell");
  CHECK(strongest_core(old) == "");

  // OpenBLAS 0.3.21 on family 6 model 207 picks Prescott: replaced.
  CHECK(better_core("Prescott", "", emerald_rapids) == "Cooperlake");
  CHECK(better_core("Sandybridge", "", zen3) == "Haswell");
  CHECK(better_core("Haswell", "", skylake_x) == "SkylakeX");
  // Its own pick as wide as the CPU's vectors: kept, Zen and SapphireRapids included.
  CHECK(better_core("Cooperlake", "", emerald_rapids) == "");
  CHECK(better_core("SapphireRapids", "", emerald_rapids) == "");
  CHECK(better_core("Zen", "", zen3) == "");
  CHECK(better_core("SkylakeX", "", skylake_x) == "");
  CHECK(better_core("Prescott", "", old) == "");
  // A pin is the user's choice, whatever it is.
  CHECK(better_core("Prescott", "Prescott", emerald_rapids) == "");
  CHECK(better_core("Haswell", "Haswell", emerald_rapids) == "");
}

TEST_CASE("the kernels note says when qkv chose the kernels, and what OpenBLAS had picked") {
  const std::string note = kernels_note("Cooperlake", "Cooperlake", true, "Prescott");
  CHECK(note.rfind(
            "OpenBLAS kernels Cooperlake, chosen by qkv: OpenBLAS does not recognise this CPU and picks Prescott", 0) ==
        0);
  CHECK(contains(note, "set OPENBLAS_CORETYPE to choose yourself"));
  CHECK(!contains(note, "unset OPENBLAS_CORETYPE"));
}
