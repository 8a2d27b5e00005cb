// matmul_bench.cpp — times qkv::raw::matmul / bmm against plain cblas_sgemm on the same buffers
// (and, for batches, against a loop of single-threaded sgemm calls), float32.
//
// Implementations: qkv (raw::matmul, or raw::bmm for batches: OpenBLAS single-threaded, the work
// split over qkv's threads), sgemm (one cblas_sgemm call per matrix with OpenBLAS's own threads), sgemm_1t (the same
// loop with OpenBLAS forced to one thread), and with --precision bf16 also qkv_bf16 (the same
// raw::matmul / bmm with bf16 products, tensor/precision.h: operands rounded to bfloat16 on each
// call, fp32 sums) and dnnl_omp (the same product as one oneDNN call on its own OpenMP threads,
// the second pool qkv avoids: bench/dnnl_openmp_bf16.h; only when qkv was built with oneDNN).
//
//   matmul_bench [--quick] [--precision fp32|bf16]   --quick: a few runs per shape, for smoke tests only
//
// Prints one line per (shape, implementation):
//   RESULT <shape> <impl> <median microseconds> <GFLOP/s>
// which scripts/bench_matmul.sh joins with bench/torch_matmul.py into one table.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tensor/matmul.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"
#include "tensor/random.h"

#ifdef QKV_HAVE_DNNL
#include "bench/dnnl_openmp_bf16.h"
#endif

using namespace qkv;

namespace {

struct Case {
  std::string name;
  int64_t batch;  // 0: a single 2-D product (matmul); otherwise bmm over this many
  int64_t m, k, n;
};

using Clock = std::chrono::steady_clock;

bool quick = false;        // --quick: few runs, for smoke tests
bool with_bf16 = false;    // --precision bf16: qkv_bf16 too
int openblas_threads = 1;  // OpenBLAS's own thread count at start (OPENBLAS_NUM_THREADS or cores)

// Median wall time of f() in seconds, over enough runs to fill about 0.6 s (15 to 3000 runs;
// with --quick 3 runs).
template <class F>
double median_seconds(F&& f) {
  for (int i = 0; i < (quick ? 1 : 3); ++i) f();  // warm-up
  const auto start = Clock::now();
  f();
  const double once = std::chrono::duration<double>(Clock::now() - start).count();
  const int runs = quick ? 3 : std::clamp(static_cast<int>(0.6 / std::max(once, 1e-7)), 15, 3000);
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
  return times[static_cast<size_t>(runs / 2)];
}

void report(const Case& c, const std::string& impl, double seconds) {
  const double flops = 2.0 * static_cast<double>(std::max<int64_t>(c.batch, 1) * c.m * c.n * c.k);
  fmt::print("RESULT {} {} {:.1f} {:.1f}\n", c.name, impl, seconds * 1e6, flops / seconds / 1e9);
  std::fflush(stdout);
}

// cblas_sgemm over the batch (or once), row-major contiguous operands.
void sgemm_loop(const Case& c, const float* a, const float* b, float* out) {
  const int64_t count = std::max<int64_t>(c.batch, 1);
  const auto m = static_cast<int>(c.m);
  const auto n = static_cast<int>(c.n);
  const auto k = static_cast<int>(c.k);
  for (int64_t i = 0; i < count; ++i) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a + i * c.m * c.k, k, b + i * c.k * c.n, n,
                0.0f, out + i * c.m * c.n, n);
  }
}

void run_case(const Case& c, Generator& gen) {
  const bool batched = c.batch > 0;
  const Tensor a = batched ? randn({c.batch, c.m, c.k}, gen) : randn({c.m, c.k}, gen);
  const Tensor b = batched ? randn({c.batch, c.k, c.n}, gen) : randn({c.k, c.n}, gen);
  std::vector<float> out(static_cast<size_t>(std::max<int64_t>(c.batch, 1) * c.m * c.n));
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();

  auto qkv_product = [&] { return batched ? raw::bmm(a, b) : raw::matmul(a, b); };
  report(c, "qkv", median_seconds(qkv_product));
  if (with_bf16) {
    const PrecisionGuard bf16(Precision::bf16);
    report(c, "qkv_bf16", median_seconds(qkv_product));
#ifdef QKV_HAVE_DNNL
    bench::OpenMpBf16Matmul omp(c.batch, c.m, c.k, c.n, num_threads());
    report(c, "dnnl_omp", median_seconds([&] { omp.run(pa, pb, out.data()); }));
#endif
  }
  // qkv keeps OpenBLAS single-threaded (tensor/blas.h); the reference gets its own threads back.
  openblas_set_num_threads(openblas_threads);
  report(c, "sgemm", median_seconds([&] { sgemm_loop(c, pa, pb, out.data()); }));
  openblas_set_num_threads(1);
  report(c, "sgemm_1t", median_seconds([&] { sgemm_loop(c, pa, pb, out.data()); }));
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--precision" && i + 1 < argc &&
               (argv[i + 1] == std::string("fp32") || argv[i + 1] == std::string("bf16"))) {
      with_bf16 = parse_enum<Precision>(argv[++i], "--precision") == Precision::bf16;
    } else {
      std::fprintf(stderr, "usage: matmul_bench [--quick] [--precision fp32|bf16]\n");
      return 2;
    }
  }
  if (with_bf16 && !bf16_products_supported()) {
    std::fprintf(stderr, "matmul_bench: --precision bf16: %s\n", bf16_unsupported_reason().c_str());
    return 2;
  }
  openblas_threads = openblas_get_num_threads();
  fmt::print("# {} | OpenBLAS threads (sgemm column) {} | qkv threads {}\n", openblas_get_config(), openblas_threads,
             num_threads());
  const std::vector<Case> cases = {
      {"2048x256@256x256", 0, 2048, 256, 256},    {"2048x256@256x1024", 0, 2048, 256, 1024},
      {"2048x1024@1024x256", 0, 2048, 1024, 256}, {"2048x256@256x8000", 0, 2048, 256, 8000},
      {"256x(32x64@64x32)", 256, 32, 64, 32},     {"256x(32x32@32x64)", 256, 32, 32, 64},
  };
  Generator gen(0);
  for (const Case& c : cases) run_case(c, gen);
}
