// blas_kernels.cpp — names the OpenBLAS kernel set in use, warns when OPENBLAS_CORETYPE pins
// one without AVX-512 on a CPU that has it, and replaces a fallback set OpenBLAS chose only
// because it does not know the CPU (see blas_kernels.h).
#include "tensor/blas_kernels.h"

#include <cblas.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace qkv::blas {
namespace {

// Set in the environment of the re-run: OpenBLAS's own pick, which qkv replaced.
constexpr const char* kReplacedVariable = "QKV_OPENBLAS_REPLACED";

// How wide the vectors of OpenBLAS 0.3.21's kernel sets are: 3 AVX-512 with BF16, 2 AVX-512,
// 1 AVX2, 0 anything narrower (Prescott, Core2, Nehalem, Sandybridge, ...).
int vector_rank(std::string_view core) {
  constexpr std::array<std::pair<std::string_view, int>, 5> kRanks = {
      {{"Cooperlake", 3}, {"SapphireRapids", 3}, {"SkylakeX", 2}, {"Haswell", 1}, {"Zen", 1}}};
  for (const auto& [name, rank] : kRanks) {
    if (name == core) return rank;
  }
  return 0;
}

}  // namespace

CpuVectors this_cpu() {
  CpuVectors cpu;
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  cpu.avx512_bf16 = cpu.avx512 && __builtin_cpu_supports("avx512bf16");
  return cpu;
}

std::string_view strongest_core(const CpuVectors& cpu) {
  if (cpu.avx512_bf16) return "Cooperlake";
  if (cpu.avx512) return "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  return "";
}

bool avx512_kernels(std::string_view core) { return vector_rank(core) >= 2; }

std::string_view better_core(std::string_view loaded, std::string_view pinned, const CpuVectors& cpu) {
  if (!pinned.empty()) return "";  // the user's choice
  const std::string_view best = strongest_core(cpu);
  return !best.empty() && vector_rank(best) > vector_rank(loaded) ? best : "";
}

void reexec_with_better_kernels(char** argv) {
  if (std::getenv(kReplacedVariable) != nullptr) return;  // this is the re-run
  const char* pinned = std::getenv("OPENBLAS_CORETYPE");
  const std::string loaded = openblas_get_corename();
  const std::string_view better = better_core(loaded, pinned != nullptr ? pinned : "", this_cpu());
  if (better.empty()) return;
  setenv("OPENBLAS_CORETYPE", std::string(better).c_str(), 1);
  setenv(kReplacedVariable, loaded.c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // execv failed: carry on with OpenBLAS's own pick
  unsetenv(kReplacedVariable);
}

std::string kernels_note(std::string_view core, std::string_view pinned, bool cpu_has_avx512,
                         std::string_view replaced) {
  std::string note = fmt::format("OpenBLAS kernels {}", core);
  if (!replaced.empty()) {
    return note + fmt::format(
                      ", chosen by qkv: OpenBLAS does not recognise this CPU and picks {}, whose vectors "
                      "are narrower than the CPU's (set OPENBLAS_CORETYPE to choose yourself)",
                      replaced);
  }
  if (pinned.empty()) return note;
  note += fmt::format(", pinned by OPENBLAS_CORETYPE={}", pinned);
  if (cpu_has_avx512 && vector_rank(core) < 2) {
    note +=
        "; this CPU has AVX-512, which these kernels leave unused: unset OPENBLAS_CORETYPE to let "
        "OpenBLAS choose (its AVX-512 kernels can run matrix products about twice as fast)";
  }
  return note;
}

std::string kernels_note() {
  const char* pinned = std::getenv("OPENBLAS_CORETYPE");
  const char* replaced = std::getenv(kReplacedVariable);
  return kernels_note(openblas_get_corename(), pinned != nullptr ? pinned : "", this_cpu().avx512,
                      replaced != nullptr ? replaced : "");
}

}  // namespace qkv::blas
