// linear_kernels.h — the two loops of y = x·Wᵀ + b that are not the product's own, on raw rows:
// the bias-initialised product, and the column sums of a gradient. Shared by linear
// (autograd/ops/linear.cpp) and linear_cross_entropy (nn/functional/linear_cross_entropy.cpp).
#pragma once

#include <algorithm>
#include <cstdint>

#include "tensor/blas.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"

namespace qkv::linear_kernels {

// y (m, n) = bias rows (or zeros, when bias is null) + x (m, k)·w (n, k; row stride w.ld)ᵀ:
// one product with the bias as its starting value. w may carry its bf16 copy (blas::Operand).
template <class T>
void affine_into(const T* x, int64_t m, int64_t k, blas::Operand<T> w, const T* bias, int64_t n, T* y) {
  parallel_for(m, grain::rows_per_task(grain::kLinearBias, n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      if (bias != nullptr) {
        std::copy_n(bias, n, y + r * n);
      } else {
        std::fill_n(y + r * n, n, T(0));
      }
    }
  });
  if (m > 0 && n > 0 && k > 0) blas::parallel_gemm(false, true, m, n, k, T(1), blas::Operand<T>{x, k}, w, T(1), y, n);
}

// acc[j] += Σ over the m rows of g (m, n, contiguous) of g[i][j]. Columns are split into blocks
// across the threads; the rows stream past each block's double accumulators.
template <class T>
void add_column_sums(const T* g, int64_t m, int64_t n, double* acc) {
  constexpr int64_t block = 64;
  const int64_t blocks = (n + block - 1) / block;
  parallel_for(blocks, grain::rows_per_task(grain::kLinearBias, m * block), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t j0 = b * block, width = std::min(block, n - j0);
      for (int64_t i = 0; i < m; ++i) {
        const T* row = g + i * n + j0;
        for (int64_t j = 0; j < width; ++j) acc[j0 + j] += static_cast<double>(row[j]);
      }
    }
  });
}

}  // namespace qkv::linear_kernels
