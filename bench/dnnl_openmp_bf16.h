// dnnl_openmp_bf16.h — for matmul_bench only: the bf16 product qkv computes (bf16 copies of the
// operands, fp32 sums), made instead by one oneDNN call on oneDNN's own OpenMP threads: the
// second thread pool that qkv does not use (tensor/bf16_gemm.h runs oneDNN single-threaded inside
// qkv's pool). The bench row `dnnl_omp` against `qkv_bf16` shows what that choice costs or gains
// at each shape. The operands are rounded on the calling thread (qkv rounds each block's on the
// thread that computes it), a small part of the time at the bench shapes.
#pragma once

#include <omp.h>

#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "tensor/bf16_gemm.h"

namespace qkv::bench {

class OpenMpBf16Matmul {
 public:
  // C (batch, m, n) = A (batch, m, k) · B (batch, k, n), all row-major; batch 0: one 2-D product.
  OpenMpBf16Matmul(int64_t batch, int64_t m, int64_t k, int64_t n, int threads)
      : threads_(threads), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    using dnnl::memory;
    auto dims = [&](int64_t rows, int64_t cols) {
      return batch > 0 ? memory::dims{batch, rows, cols} : memory::dims{rows, cols};
    };
    auto tag = batch > 0 ? memory::format_tag::abc : memory::format_tag::ab;
    const memory::desc a_md(dims(m, k), memory::data_type::bf16, tag);
    const memory::desc b_md(dims(k, n), memory::data_type::bf16, tag);
    const memory::desc c_md(dims(m, n), memory::data_type::f32, tag);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads_);  // the primitive is made for this many threads
    primitive_ = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), engine_));
    omp_set_num_threads(saved);
    a_ = memory(a_md, engine_, nullptr);
    b_ = memory(b_md, engine_, nullptr);
    c_ = memory(c_md, engine_, nullptr);
    a16_.resize(a_md.get_size() / 2);
    b16_.resize(b_md.get_size() / 2);
  }

  void run(const float* a, const float* b, float* c) {
    blas::round_to_bf16(a, a16_.data(), static_cast<int64_t>(a16_.size()));
    blas::round_to_bf16(b, b16_.data(), static_cast<int64_t>(b16_.size()));
    a_.set_data_handle(a16_.data());
    b_.set_data_handle(b16_.data());
    c_.set_data_handle(c);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads_);
    primitive_.execute(stream_, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, b_}, {DNNL_ARG_DST, c_}});
    stream_.wait();
    omp_set_num_threads(saved);
  }

 private:
  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::matmul primitive_;
  dnnl::memory a_, b_, c_;
  std::vector<uint16_t> a16_, b16_;
};

}  // namespace qkv::bench
