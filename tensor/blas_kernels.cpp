// blas_kernels.cpp — names the OpenBLAS kernel set in use, and warns when OPENBLAS_CORETYPE
// pins one without AVX-512 on a CPU that has it (see blas_kernels.h).
#include "tensor/blas_kernels.h"

#include <cblas.h>

#include <array>
#include <cstdlib>

#include <fmt/format.h>

namespace qkv::blas {

std::string kernels_note(std::string_view core, std::string_view pinned, bool cpu_has_avx512) {
  std::string note = fmt::format("OpenBLAS kernels {}", core);
  if (pinned.empty()) return note;
  note += fmt::format(", pinned by OPENBLAS_CORETYPE={}", pinned);
  // OpenBLAS 0.3.21's kernel sets that use AVX-512 (later releases add SapphireRapids).
  constexpr std::array<std::string_view, 3> kAvx512Cores = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  bool uses_avx512 = false;
  for (std::string_view c : kAvx512Cores) uses_avx512 = uses_avx512 || core == c;
  if (cpu_has_avx512 && !uses_avx512) {
    note +=
        "; this CPU has AVX-512, which these kernels leave unused: unset OPENBLAS_CORETYPE to let "
        "OpenBLAS choose (its AVX-512 kernels can run matrix products about twice as fast)";
  }
  return note;
}

std::string kernels_note() {
  const char* pinned = std::getenv("OPENBLAS_CORETYPE");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return kernels_note(openblas_get_corename(), pinned != nullptr ? pinned : "", avx512);
}

}  // namespace qkv::blas
