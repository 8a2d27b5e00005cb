// precision.cpp — the process-wide precision of float32 matrix products (see precision.h).
#include "tensor/precision.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include <cblas.h>

#include "tensor/bf16_gemm.h"
#include "tensor/blas_kernels.h"

namespace qkv {
namespace {

std::atomic<Precision> requested{Precision::fp32};
std::atomic<bool> active{false};  // read by every float32 gemm

}  // namespace

bool bf16_products_built() { return blas::bf16_gemm_built(); }

bool bf16_products_supported() {
  static const bool supported = bf16_unsupported_reason().empty();
  return supported;
}

std::string bf16_unsupported_reason() {
  if (!blas::bf16_gemm_built()) return "qkv was built without oneDNN (libdnnl-dev)";
  return blas::bf16_gemm_unsupported_reason();
}

void set_matmul_precision(Precision p) {
  if (p == Precision::bf16 && !blas::bf16_gemm_built()) {
    throw Error(
        "precision bf16: qkv was built without oneDNN, which computes its bf16 products; install libdnnl-dev "
        "and rebuild qkv, or use --precision fp32");
  }
  if (p == Precision::bf16 && !bf16_products_supported()) {
    static std::once_flag noted;
    std::call_once(noted, [] {
      std::fprintf(stderr, "qkv: precision bf16: %s; matrix products run in fp32\n", bf16_unsupported_reason().c_str());
    });
  }
  requested.store(p);
  active.store(p == Precision::bf16 && bf16_products_supported());
}

Precision matmul_precision() { return requested.load(); }

bool bf16_products_active() { return active.load(std::memory_order_relaxed); }

int64_t bf16_min_product(std::string_view openblas_core) {
  return blas::avx512_kernels(openblas_core) ? int64_t{1} << 18 : int64_t{1} << 16;
}

int64_t bf16_min_product() {
  static const int64_t min_product = bf16_min_product(openblas_get_corename());
  return min_product;
}

bool bf16_pays(int64_t m, int64_t n, int64_t k) {
  return m >= kBf16MinSide && n >= kBf16MinSide && k >= kBf16MinSide && m * n * k >= bf16_min_product();
}

}  // namespace qkv
