// blas.h — qkv's one door to OpenBLAS: matrix products (gemm) on row-major matrices.
//
// THREADS. qkv owns all threading. OpenBLAS always runs single-threaded (these functions make
// sure of it on every call), and large products are split across qkv's own pool (parallel.h)
// instead: each thread computes a block of C's rows (or columns) with one single-threaded
// gemm. Two thread pools taking turns on the same cores — OpenBLAS's spin-waiting in
// sched_yield while qkv's parallel loops run, and the reverse — cost about a fifth of a
// Transformer training step when measured on 2 cores; one pool costs nothing.
//
//   blas::gemm(false, true, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);  // C = A·Bᵀ, this thread
//   blas::parallel_gemm(...same arguments...);                            // split over qkv's threads
#pragma once

#include <cstdint>

namespace qkv::blas {

// C (m×n, leading dimension ldc) = alpha·op(A)·op(B) + beta·C, where op(A) is m×k and op(B)
// is k×n; op transposes when trans_*. On the calling thread only. Sizes must fit in int (the
// callers check, naming their op).
// The float version computes from bf16 copies of A and B when bf16 products are active and
// the product is large enough to gain (tensor/precision.h: bf16_pays; bf16_gemm.h); the double
// version is always exact fp64.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// The same product, split into blocks of C's rows (or, when C is wide, of its columns) run on
// qkv's threads when it is large enough to gain from it. Inside a parallel_for body it is
// plain gemm (the pool is already busy).
void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                   int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

}  // namespace qkv::blas
