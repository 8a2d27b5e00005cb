// bf16_threshold_bench.cpp — where bf16 products start to pay, for tensor/precision.h's
// bf16_pays: one thread's fp32 product (blas::gemm through OpenBLAS) against its bf16 product
// (blas::gemm_bf16: rounding both operands, then oneDNN) over a grid of shapes m × k × n, on
// the same buffers. Single-threaded because that is the unit qkv's pool runs: a split product
// is one such call per thread, and the fused attention's tiles are one each.
//
//   build/bf16_threshold_bench [--quick]    # --quick: three shapes, for smoke tests only
//
// Prints one line per shape:  RESULT <m> <k> <n> <fp32 µs> <bf16 µs> <fp32 µs / bf16 µs>
// (> 1: bf16 is faster). The OpenBLAS kernel set named in the header line sets the fp32 column.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tensor/bf16_gemm.h"
#include "tensor/blas.h"
#include "tensor/precision.h"

using namespace qkv;

namespace {

using Clock = std::chrono::steady_clock;

// Fastest of enough runs to fill about 0.05 s (at least 5), after one warm-up run: the
// fastest, because a shared VM only ever adds time.
template <class F>
double fastest_seconds(F&& f, bool quick) {
  f();
  const auto start = Clock::now();
  f();
  const double once = std::chrono::duration<double>(Clock::now() - start).count();
  const int runs = quick ? 2 : std::clamp(static_cast<int>(0.05 / std::max(once, 1e-7)), 5, 20000);
  double best = once;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc == 2 && argv[1] == std::string("--quick");
  if (argc > 2 || (argc == 2 && !quick)) {
    std::fprintf(stderr, "usage: bf16_threshold_bench [--quick]\n");
    return 2;
  }
  if (!bf16_products_supported()) {
    std::fprintf(stderr, "bf16_threshold_bench: %s\n", bf16_unsupported_reason().c_str());
    return 2;
  }
  fmt::print("# {} | one thread | RESULT m k n fp32_us bf16_us fp32/bf16\n", openblas_get_config());
  const std::vector<int64_t> ms = quick ? std::vector<int64_t>{64} : std::vector<int64_t>{16, 64, 256, 512, 1024, 2048};
  const std::vector<int64_t> ks = quick ? std::vector<int64_t>{64} : std::vector<int64_t>{16, 32, 64, 128, 256, 512};
  const std::vector<int64_t> ns =
      quick ? std::vector<int64_t>{16, 64, 256} : std::vector<int64_t>{16, 32, 64, 128, 256, 512, 1024};
  for (int64_t m : ms) {
    for (int64_t k : ks) {
      for (int64_t n : ns) {
        std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)), c(static_cast<size_t>(m * n));
        for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7) * 0.25f - 0.75f;
        for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 5) * 0.5f - 1.0f;
        const double fp32 = fastest_seconds(
            [&] { blas::gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n); }, quick);
        const double bf16 = fastest_seconds(
            [&] { blas::gemm_bf16(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n); }, quick);
        fmt::print("RESULT {} {} {} {:.2f} {:.2f} {:.2f}\n", m, k, n, fp32 * 1e6, bf16 * 1e6, fp32 / bf16);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
