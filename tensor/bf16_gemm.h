// bf16_gemm.h — one float32 gemm computed from bfloat16 copies of its operands with fp32
// accumulation (oneDNN's matmul primitive), on the calling thread. blas::gemm sends float32
// products here when bf16 products are active (tensor/precision.h); nothing else should call it.
// blas::parallel_gemm rounds each operand of a large product once: the one all blocks share
// over the pool, the other a block at a time by the thread that multiplies that block
// (gemm_bf16_rounded). When every thread rounded both operands of its own block, the shared
// one was rounded once per thread. An operand several products read can come rounded already
// (blas::RoundedOnce, blas.h) and is then not rounded at all.
//
// THREADS. Debian's oneDNN runs on OpenMP. qkv keeps one thread pool (blas.h), so each thread
// that calls this sets its own OpenMP thread count to 1 first: oneDNN then computes inline on
// the calling thread, and large products are split over qkv's pool by blas::parallel_gemm as
// fp32 ones are. No OpenMP thread is ever started.
#pragma once

#include <cstdint>
#include <string>

namespace qkv::blas {

// True when qkv was built with oneDNN.
bool bf16_gemm_built();
// "" when oneDNN can run bf16 products on this CPU (its ISA includes AVX512_BF16), else why not.
std::string bf16_gemm_unsupported_reason();

// C (m×n, ld ldc) = alpha·op(A)·op(B) + beta·C as blas::gemm, with A and B rounded to bfloat16
// (round to nearest even) and the products summed in fp32. m, n, k > 0. Throws qkv::Error
// naming the shapes if oneDNN refuses the product.
void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Buffers for the rounded operands of one product, each as big as its float original stored
// without leading-dimension gaps (lda is A's stored row length). They belong to the calling
// thread and stay valid until its next call, which gemm_bf16 makes too: while a thread holds
// them it multiplies with gemm_bf16_rounded only. Their contents are not initialised.
struct Bf16Operands {
  uint16_t* a;
  int64_t lda;
  uint16_t* b;
  int64_t ldb;
};
Bf16Operands bf16_operand_buffers(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k);
// Rounds the rows × cols float matrix at src (row stride ld) into dst (row stride dst_ld):
// on this thread, or split over qkv's threads.
void round_to_bf16(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst, int64_t dst_ld);
void round_to_bf16_parallel(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst);
// gemm_bf16 on operands already rounded (row strides lda, ldb counted in bf16 values).
void gemm_bf16_rounded(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
                       int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Rounds n floats to bfloat16 (round to nearest even; NaN stays NaN), as the products do.
void round_to_bf16(const float* in, uint16_t* out, int64_t n);
float bf16_to_float(uint16_t x);

}  // namespace qkv::blas
