// bf16_gemm.cpp — gemm_bf16 through oneDNN's matmul primitive (see bf16_gemm.h), and the
// float -> bfloat16 rounding of its operands. Built without oneDNN, gemm_bf16 throws.
//
// Per call: round op(A) and op(B) into packed bf16 buffers of this thread, then run a matmul
// primitive made for this shape (m, n, k, transposes, ldc, alpha, beta). Making a primitive
// compiles kernels (milliseconds), so each thread keeps the ones it made, by shape.
#include "tensor/bf16_gemm.h"

#include <bit>
#include <cstring>
#include <vector>

#include "tensor/error.h"

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

#ifndef QKV_HAVE_DNNL

bool bf16_gemm_built() { return false; }
std::string bf16_gemm_unsupported_reason() { return "qkv was built without oneDNN (libdnnl-dev)"; }
void gemm_bf16(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
               float*, int64_t) {
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
  int64_t m, n, k, ldc;
  float alpha, beta;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& key) const {
    size_t h = std::hash<int64_t>()(key.m);
    for (int64_t v : {key.n, key.k, key.ldc, int64_t(key.trans_a), int64_t(key.trans_b),
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

// A packed row-major (rows × cols) bf16 matrix, or its transpose when `transposed`
// (stored cols × rows): the layout qkv's operand has, without its leading-dimension gaps.
memory::desc bf16_matrix(int64_t rows, int64_t cols, bool transposed) {
  return memory::desc(Dims{rows, cols}, memory::data_type::bf16, transposed ? Dims{1, rows} : Dims{cols, 1});
}

Product make_product(const Key& key) {
  const memory::desc a_md = bf16_matrix(key.m, key.k, key.trans_a);
  const memory::desc b_md = bf16_matrix(key.k, key.n, key.trans_b);
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

// Copies rows × cols floats (row stride ld) into a packed bf16 buffer.
void pack(const float* src, int64_t rows, int64_t cols, int64_t ld, std::vector<uint16_t>& out) {
  out.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) round_to_bf16(src + r * ld, out.data() + r * cols, cols);
}

// What each thread keeps: its stream, its primitives by shape, its operand and scratch buffers.
struct ThreadState {
  // First: oneDNN then makes and runs its primitives inline on this thread (bf16_gemm.h: THREADS).
  bool single_threaded = (omp_set_num_threads(1), true);
  dnnl::stream stream{cpu_engine()};
  std::unordered_map<Key, Product, KeyHash> products;
  std::vector<uint16_t> a, b;
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

void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  thread_local ThreadState state;
  const Key key{trans_a, trans_b, m, n, k, ldc, alpha, beta};
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
  // op(A) is m×k: stored m rows of k, or (transposed) k rows of m; likewise op(B).
  pack(a, trans_a ? k : m, trans_a ? m : k, lda, state.a);
  pack(b, trans_b ? n : k, trans_b ? k : n, ldb, state.b);
  const size_t scratch = p.scratchpad.get_desc().get_size();
  if (state.scratchpad.size() < scratch) state.scratchpad.resize(scratch);
  p.a.set_data_handle(state.a.data());
  p.b.set_data_handle(state.b.data());
  p.c.set_data_handle(c);
  p.scratchpad.set_data_handle(state.scratchpad.data());
  p.primitive.execute(
      state.stream,
      {{DNNL_ARG_SRC, p.a}, {DNNL_ARG_WEIGHTS, p.b}, {DNNL_ARG_DST, p.c}, {DNNL_ARG_SCRATCHPAD, p.scratchpad}});
  state.stream.wait();
}

#endif  // QKV_HAVE_DNNL

}  // namespace qkv::blas
