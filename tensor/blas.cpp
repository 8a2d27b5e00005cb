// blas.cpp — gemm through cblas with OpenBLAS held single-threaded (or, for float32 with bf16
// products active, through gemm_bf16), and its split across qkv's threads (see blas.h for why;
// a split bf16 product rounds its operands once, bf16_gemm.h).
#include "tensor/blas.h"

#include <cblas.h>

#include <algorithm>

#include "tensor/allocator.h"
#include "tensor/bf16_gemm.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"

namespace qkv::blas {
namespace {

// OpenBLAS starts with its own threads (OPENBLAS_NUM_THREADS, or one per core). Reading the
// setting is a load of a global; it is set back to 1 whenever something changed it.
void single_threaded_openblas() {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

CBLAS_TRANSPOSE flag(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

// Rows (or columns) per block: a multiple of 16, the register-block height of OpenBLAS's
// x86 sgemm/dgemm kernels, so no block ends in a partial tile except the last.
constexpr int64_t kBlockAlign = 16;

// Into how many blocks a product is split over the pool: 1 when it is too small to gain, or
// when the pool is already busy (inside a parallel_for body).
int64_t split_parts(int64_t m, int64_t n, int64_t k) {
  const int64_t parts = std::min<int64_t>(num_threads(), std::max(m, n) / kBlockAlign);
  if (parts < 2 || m * n * k < grain::kSplitGemm || in_parallel_region()) return 1;
  return parts;
}

// Calls block(first, count) for the blocks [first, first + count) that `parts` makes of the
// split dimension (C's rows, or its columns when C is wide), on the pool: chunk rounded up to 16.
template <class Block>
void for_each_block(int64_t parts, int64_t extent, const Block& block) {
  const int64_t chunk = ((extent + parts - 1) / parts + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  const int64_t blocks = (extent + chunk - 1) / chunk;
  parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) block(p * chunk, std::min(chunk, extent - p * chunk));
  });
}

// Computes the product in `parts` blocks of C's rows (or columns, when C is wide) on the pool.
template <class T>
void split_gemm(int64_t parts, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m >= n) {
    for_each_block(parts, m, [&](int64_t first, int64_t count) {  // rows first.. of op(A) and C
      const T* a_block = trans_a ? a + first : a + first * lda;
      gemm(trans_a, trans_b, count, n, k, alpha, a_block, lda, b, ldb, beta, c + first * ldc, ldc);
    });
  } else {
    for_each_block(parts, n, [&](int64_t first, int64_t count) {  // columns first.. of op(B) and C
      const T* b_block = trans_b ? b + first * ldb : b + first;
      gemm(trans_a, trans_b, m, count, k, alpha, a, lda, b_block, ldb, beta, c + first, ldc);
    });
  }
}

// The same in bf16 (bf16_gemm.h), each operand rounded once (or not at all, when it comes with
// its bf16 copy): the one every block reads first, over the pool; then each block's task rounds
// its own part of the other just before multiplying it, so that part is in the cache of the core
// that multiplies it.
void split_gemm_bf16(int64_t parts, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     Operand<float> a, Operand<float> b, float beta, float* c, int64_t ldc) {
  const Bf16Operands r = bf16_operand_buffers(trans_a, trans_b, a.bf16 ? 0 : m, b.bf16 ? 0 : n, k);
  const uint16_t* a16 = a.bf16 != nullptr ? a.bf16 : r.a;
  const uint16_t* b16 = b.bf16 != nullptr ? b.bf16 : r.b;
  const int64_t lda16 = a.bf16 != nullptr ? a.bf16_ld : r.lda, ldb16 = b.bf16 != nullptr ? b.bf16_ld : r.ldb;
  if (m >= n) {
    if (b.bf16 == nullptr) round_to_bf16_parallel(b.data, trans_b ? n : k, trans_b ? k : n, b.ld, r.b);
    for_each_block(parts, m, [&](int64_t first, int64_t count) {  // rows first.. of op(A) and C
      // op(A)'s rows first..: stored rows, or (transposed) the same columns of every stored row.
      const int64_t offset = trans_a ? first : first * lda16;
      if (a.bf16 == nullptr) {
        round_to_bf16(a.data + (trans_a ? first : first * a.ld), trans_a ? k : count, trans_a ? count : k, a.ld,
                      r.a + offset, r.lda);
      }
      gemm_bf16_rounded(trans_a, trans_b, count, n, k, alpha, a16 + offset, lda16, b16, ldb16, beta, c + first * ldc,
                        ldc);
    });
  } else {
    if (a.bf16 == nullptr) round_to_bf16_parallel(a.data, trans_a ? k : m, trans_a ? m : k, a.ld, r.a);
    for_each_block(parts, n, [&](int64_t first, int64_t count) {  // columns first.. of op(B) and C
      const int64_t offset = trans_b ? first * ldb16 : first;
      if (b.bf16 == nullptr) {
        round_to_bf16(b.data + (trans_b ? first * b.ld : first), trans_b ? count : k, trans_b ? k : count, b.ld,
                      r.b + offset, r.ldb);
      }
      gemm_bf16_rounded(trans_a, trans_b, m, count, k, alpha, a16, lda16, b16 + offset, ldb16, beta, c + first, ldc);
    });
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (bf16_products_active() && bf16_pays(m, n, k)) {  // tensor/precision.h
    gemm_bf16(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  single_threaded_openblas();
  cblas_sgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  single_threaded_openblas();
  cblas_dgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const int64_t parts = split_parts(m, n, k);
  if (parts == 1) {
    gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if (bf16_products_active() && bf16_pays(m, n, k)) {
    split_gemm_bf16(parts, trans_a, trans_b, m, n, k, alpha, {a, lda}, {b, ldb}, beta, c, ldc);
  } else {
    split_gemm(parts, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                   int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  const int64_t parts = split_parts(m, n, k);
  if (parts == 1) {
    gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    split_gemm(parts, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, Operand<float> a,
                   Operand<float> b, float beta, float* c, int64_t ldc) {
  if ((a.bf16 == nullptr && b.bf16 == nullptr) || !bf16_products_active() || !bf16_pays(m, n, k)) {
    parallel_gemm(trans_a, trans_b, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c, ldc);
  } else {
    split_gemm_bf16(split_parts(m, n, k), trans_a, trans_b, m, n, k, alpha, a, b, beta, c, ldc);
  }
}

void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, Operand<double> a,
                   Operand<double> b, double beta, double* c, int64_t ldc) {
  parallel_gemm(trans_a, trans_b, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c, ldc);
}

template <>
RoundedOnce<float>::RoundedOnce(const float* data, int64_t rows, int64_t cols, int64_t ld)
    : data_(data), ld_(ld), cols_(cols) {
  if (!bf16_products_active() || rows <= 0 || cols <= 0) return;
  copy_bytes_ = static_cast<size_t>(rows * cols) * sizeof(uint16_t);
  copy_ = static_cast<uint16_t*>(allocator::allocate(copy_bytes_));
  round_to_bf16_parallel(data, rows, cols, ld, copy_);
}

template <>
RoundedOnce<double>::RoundedOnce(const double* data, int64_t, int64_t cols, int64_t ld)
    : data_(data), ld_(ld), cols_(cols) {}

template <class T>
RoundedOnce<T>::~RoundedOnce() {
  if (copy_ != nullptr) allocator::release(copy_, copy_bytes_);
}

template class RoundedOnce<float>;
template class RoundedOnce<double>;

}  // namespace qkv::blas
