// blas_kernels_test.cpp — the note naming OpenBLAS's kernel set, and its warning when
// OPENBLAS_CORETYPE pins AVX2 kernels on an AVX-512 CPU.
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
