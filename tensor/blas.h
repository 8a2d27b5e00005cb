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

#include <cstddef>
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

// A matrix operand of a product: its data and row stride, and a bfloat16 copy of it made
// already, which bf16 products read instead of rounding the data again (null: none; float64
// products never use one). The copy is packed: the stored rows, each of bf16_ld = the stored
// columns values.
template <class T>
struct Operand {
  const T* data;
  int64_t ld;
  const uint16_t* bf16 = nullptr;
  int64_t bf16_ld = 0;
};

// parallel_gemm on operands that may carry their bf16 copies. A split bf16 product rounds each
// operand once anyway; an operand that several products read is better rounded once for all of
// them (RoundedOnce below). Without bf16 products this is parallel_gemm on the data.
void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, Operand<float> a,
                   Operand<float> b, float beta, float* c, int64_t ldc);
void parallel_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, Operand<double> a,
                   Operand<double> b, double beta, double* c, int64_t ldc);

// A matrix that several products read, rounded to bfloat16 once for all of them: when T is
// float and bf16 products are active (tensor/precision.h) it holds the copy, rounded over the
// pool; otherwise (or when rows or cols is 0) it holds nothing and operand() is the matrix
// itself. linear_cross_entropy's weight is one: two products read it for every chunk of rows.
//
//   blas::RoundedOnce<float> w(w_data, v, d, ldw);                       // rounds once
//   blas::parallel_gemm(false, true, r, v, d, 1.0f, {x, d}, w.operand(), 0.0f, z, v);
//   blas::parallel_gemm(false, false, r, d, v, 1.0f, {g, v}, w.operand(), 0.0f, dx, d);
template <class T>
class RoundedOnce {
 public:
  RoundedOnce(const T* data, int64_t rows, int64_t cols, int64_t ld);
  ~RoundedOnce();
  RoundedOnce(const RoundedOnce&) = delete;
  RoundedOnce& operator=(const RoundedOnce&) = delete;
  Operand<T> operand() const { return {data_, ld_, copy_, cols_}; }

 private:
  const T* data_;
  int64_t ld_, cols_;
  uint16_t* copy_ = nullptr;  // from qkv's allocator (tensor/allocator.h), rows·cols values
  size_t copy_bytes_ = 0;
};
template <>
RoundedOnce<float>::RoundedOnce(const float* data, int64_t rows, int64_t cols, int64_t ld);
template <>
RoundedOnce<double>::RoundedOnce(const double* data, int64_t rows, int64_t cols, int64_t ld);

}  // namespace qkv::blas
