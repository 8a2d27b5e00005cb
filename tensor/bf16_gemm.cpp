// bf16_gemm.cpp — gemm_bf16 through oneDNN's matmul primitive (see bf16_gemm.h), and the
// float -> bfloat16 rounding of its operands. Built without oneDNN, gemm_bf16 throws.
//
// Per call: round op(A) and op(B) into packed bf16 buffers of this thread (or take operands a
// split product already rounded, see blas.cpp), then run a matmul primitive made for this shape
// (m, n, k, transposes, leading dimensions, alpha, beta). Making a primitive compiles kernels
// (milliseconds), so each thread keeps the ones it made, by shape.
#include "tensor/bf16_gemm.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <vector>

#include "tensor/error.h"
#include "tensor/parallel.h"

#if defined(__AVX512BF16__) && defined(__AVX512VL__)
#include <immintrin.h>
#endif

#ifdef QKV_HAVE_DNNL
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <unordered_map>
#endif

namespace qkv::blas {

namespace {

uint16_t round_one(float x) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // NaN stays (quiet) NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

}  // namespace

void round_to_bf16(const float* in, uint16_t* out, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512BF16__) && defined(__AVX512VL__)
  for (; i + 16 <= n; i += 16) {  // vcvtneps2bf16: the same rounding, 16 at a time
    const __m256bh r = _mm512_cvtneps_pbh(_mm512_loadu_ps(in + i));
    std::memcpy(out + i, &r, sizeof(r));
  }
#endif
  for (; i < n; ++i) out[i] = round_one(in[i]);
}

float bf16_to_float(uint16_t x) { return std::bit_cast<float>(static_cast<uint32_t>(x) << 16); }

namespace {

// A bf16 buffer that grows when asked for more and never fills what it hands out (a
// std::vector's resize would zero every element it adds, only to have them overwritten).
class Bf16Buffer {
 public:
  uint16_t* get(int64_t n) {
    if (static_cast<size_t>(n) > size_) {
      data_.reset(new uint16_t[static_cast<size_t>(n)]);  // uninitialised: written before read
      size_ = static_cast<size_t>(n);
    }
    return data_.get();
  }

 private:
  std::unique_ptr<uint16_t[]> data_;
  size_t size_ = 0;
};

}  // namespace

void round_to_bf16(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst, int64_t dst_ld) {
  for (int64_t r = 0; r < rows; ++r) round_to_bf16(src + r * ld, dst + r * dst_ld, cols);
}

void round_to_bf16_parallel(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst) {
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t begin, int64_t end) {
    round_to_bf16(src + begin * ld, end - begin, cols, ld, dst + begin * cols, cols);
  });
}

Bf16Operands bf16_operand_buffers(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
  thread_local Bf16Buffer a_buffer, b_buffer;
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  return {a_buffer.get(m * k), a_cols, b_buffer.get(k * n), b_cols};
}

#ifndef QKV_HAVE_DNNL

bool bf16_gemm_built() { return false; }
std::string bf16_gemm_unsupported_reason() { return "qkv was built without oneDNN (libdnnl-dev)"; }
void gemm_bf16(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
               float*, int64_t) {
  throw Error("gemm_bf16: qkv was built without oneDNN (install libdnnl-dev and rebuild)");
}
void gemm_bf16_rounded(bool, bool, int64_t, int64_t, int64_t, float, const uint16_t*, int64_t, const uint16_t*, int64_t,
                       float, float*, int64_t) {
  throw Error("gemm_bf16: qkv was built without oneDNN (install libdnnl-dev and rebuild)");
}

#else

namespace {

using dnnl::memory;
using Dims = memory::dims;

// Never destroyed: the worker threads' ThreadStates (whose streams and primitives refer to it)
// may be destroyed after static objects, at exit.
dnnl::engine& cpu_engine() {
  static auto* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

struct Key {
  bool trans_a, trans_b;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& key) const {
    size_t h = std::hash<int64_t>()(key.m);
    for (int64_t v : {key.n, key.k, key.lda, key.ldb, key.ldc, int64_t(key.trans_a), int64_t(key.trans_b),
                      int64_t(std::bit_cast<uint32_t>(key.alpha)), int64_t(std::bit_cast<uint32_t>(key.beta))}) {
      h = h * 1000003u ^ std::hash<int64_t>()(v);
    }
    return h;
  }
};

// A primitive for one shape, with memory objects whose data pointers are set per call.
struct Product {
  dnnl::matmul primitive;
  memory a, b, c, scratchpad;
};

// A row-major (rows × cols) bf16 matrix with row stride ld, or, when `transposed`, one stored
// transposed (cols rows of `rows` values, row stride ld).
memory::desc bf16_matrix(int64_t rows, int64_t cols, bool transposed, int64_t ld) {
  return memory::desc(Dims{rows, cols}, memory::data_type::bf16, transposed ? Dims{1, ld} : Dims{ld, 1});
}

Product make_product(const Key& key) {
  const memory::desc a_md = bf16_matrix(key.m, key.k, key.trans_a, key.lda);
  const memory::desc b_md = bf16_matrix(key.k, key.n, key.trans_b, key.ldb);
  const memory::desc c_md(Dims{key.m, key.n}, memory::data_type::f32, Dims{key.ldc, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (key.alpha != 1.0f) attr.set_output_scales(0, {key.alpha});
  if (key.beta != 0.0f) {
    dnnl::post_ops sum;
    sum.append_sum(key.beta);
    attr.set_post_ops(sum);
  }
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, cpu_engine());
  dnnl::engine& e = cpu_engine();
  return Product{dnnl::matmul(pd), memory(a_md, e, nullptr), memory(b_md, e, nullptr), memory(c_md, e, nullptr),
                 memory(pd.scratchpad_desc(), e, nullptr)};
}

// What each thread keeps: its stream, its primitives by shape, its scratch buffer.
struct ThreadState {
  // First: oneDNN then makes and runs its primitives inline on this thread (bf16_gemm.h: THREADS).
  bool single_threaded = (omp_set_num_threads(1), true);
  dnnl::stream stream{cpu_engine()};
  std::unordered_map<Key, Product, KeyHash> products;
  std::vector<char> scratchpad;
};

// A bound on the primitives one thread keeps (their kernels and descriptors take memory: a
// 60-step Multi30k run with batches of every length grew the process by ~150 MB in bf16); past
// it they are all dropped and made again as needed, mostly from oneDNN's own primitive cache
// (1024 entries by default, DNNL_PRIMITIVE_CACHE_CAPACITY), without compiling kernels again.
constexpr size_t kMaxProducts = 1024;

}  // namespace

bool bf16_gemm_built() { return true; }

std::string bf16_gemm_unsupported_reason() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  if ((isa & bf16) == bf16) return "";
  return "this CPU has no AVX512_BF16 or AMX-BF16 instructions (or DNNL_MAX_CPU_ISA hides them from oneDNN)";
}

void gemm_bf16_rounded(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
                       int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  thread_local ThreadState state;
  const Key key{trans_a, trans_b, m, n, k, lda, ldb, ldc, alpha, beta};
  auto found = state.products.find(key);
  if (found == state.products.end()) {
    if (state.products.size() >= kMaxProducts) state.products.clear();
    try {
      found = state.products.emplace(key, make_product(key)).first;
    } catch (const dnnl::error& e) {
      throw Error(fmt::format("gemm_bf16: oneDNN cannot make a bf16 product of ({}×{}{}) · ({}×{}{}): {}", m, k,
                              trans_a ? "ᵀ" : "", k, n, trans_b ? "ᵀ" : "", e.what()));
    }
  }
  Product& p = found->second;
  const size_t scratch = p.scratchpad.get_desc().get_size();
  if (state.scratchpad.size() < scratch) state.scratchpad.resize(scratch);
  // oneDNN only reads A and B; its handles are not const.
  p.a.set_data_handle(const_cast<uint16_t*>(a));
  p.b.set_data_handle(const_cast<uint16_t*>(b));
  p.c.set_data_handle(c);
  p.scratchpad.set_data_handle(state.scratchpad.data());
  p.primitive.execute(
      state.stream,
      {{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c}, {DNNL_ARG_SCRATCHPAD, p.scratchpad}});
  state.stream.wait();
}

void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // op(A) is m×k: stored m rows of k, or (transposed) k rows of m; likewise op(B).
  const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
  const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  const Bf16Operands r = bf16_operand_buffers(trans_a, trans_b, m, n, k);
  round_to_bf16(a, a_rows, a_cols, lda, r.a, r.lda);
  round_to_bf16(b, b_rows, b_cols, ldb, r.b, r.ldb);
  gemm_bf16_rounded(trans_a, trans_b, m, n, k, alpha, r.a, r.lda, r.b, r.ldb, beta, c, ldc);
}

#endif  // QKV_HAVE_DNNL

}  // namespace qkv::blas
