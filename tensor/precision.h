// precision.h — how float32 matrix products are computed: fp32 (the default), or bf16: the
// operands are rounded to bfloat16 copies (8-bit mantissa) and multiplied with fp32
// accumulation, by oneDNN on CPUs with AVX512_BF16 (about twice fp32's arithmetic rate).
//
// What bf16 changes: every float32 product that goes through blas::gemm (tensor/blas.h), which
// is all of them — matmul, bmm, Linear, the fused attention's tiles, the output projection —
// forward and backward, when it is large enough to gain (bf16_pays below; smaller ones stay
// fp32, which is as precise or more). What it does not change: tensors stay float32 (weights, gradients,
// optimizer state, activations kept for backward), and so do every non-product op (LayerNorm,
// softmax, the loss) and the autograd contract. float64 products are never touched, so the
// gradchecks are unaffected. It is a run-control setting, like the number of threads, not a
// property of a model: a model trained in bf16 translates in fp32 and the reverse.
//
// The setting is process-wide (qkv's worker threads compute product blocks for the caller, so
// they must see the caller's setting). Set it once at start, or scope it with PrecisionGuard;
// do not change it while another thread computes.
//
//   qkv::set_matmul_precision(qkv::Precision::bf16);      // throws if qkv has no oneDNN
//   { qkv::PrecisionGuard fp32(qkv::Precision::fp32); ... }  // this block in fp32, then back
//
// A CPU without AVX512_BF16 (or AMX-BF16) keeps fp32 products; asking for bf16 there prints a
// note once (stderr) and changes nothing. Without oneDNN (qkv built without libdnnl-dev) asking
// for bf16 is an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tensor/enum_names.h"

namespace qkv {

enum class Precision { fp32, bf16 };
constexpr EnumNames<Precision, 2> enum_names(Precision) {
  return {"precision", {{{Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}}}};
}

// Requests `p` for float32 matrix products. bf16 throws qkv::Error when qkv was built without
// oneDNN; on a CPU without bf16 instructions it prints a note (once per process) and products
// stay fp32.
void set_matmul_precision(Precision p);
// The precision requested (what set_matmul_precision was last given).
Precision matmul_precision();
// True when products really run in bf16: requested, and bf16_products_supported().
bool bf16_products_active();
// True when qkv was built with oneDNN (bf16 may be requested).
bool bf16_products_built();
// True when qkv was built with oneDNN and this CPU has bf16 dot products (as oneDNN sees it:
// DNNL_MAX_CPU_ISA=AVX512_CORE makes a bf16 CPU look like one without).
bool bf16_products_supported();
// Why bf16 products are not supported here, or "" when they are.
std::string bf16_unsupported_reason();

// Which products bf16 mode computes in bf16: every side at least 16 and m·n·k at least
// bf16_min_product() multiply-adds. Below that a product's time is fixed cost and memory
// traffic, not arithmetic: a oneDNN call costs a microsecond or two more than OpenBLAS's
// small-matrix kernels and rounds both operands first, and a matrix-vector-like product (a side
// below 16, e.g. one decoding step's row) reads its big operand once in fp32 but would round it
// first in bf16. Where bf16 starts to pay depends on how fast the fp32 products it replaces are:
// bench/bf16_threshold_bench.cpp timed one thread's fp32 and bf16 products over 252 shapes on a
// Zen 5 (docs/bf16.md), and the best rule of this form was 2^18 with OpenBLAS's AVX-512 kernels
// and 2^16 with its AVX2 ones (half as fast). The short sentences of Multi30k give attention
// tiles of about 16×16×16, a million of them per 20 training steps: those stay fp32 either way.
inline constexpr int64_t kBf16MinSide = 16;
// 2^18 for OpenBLAS's AVX-512 kernel sets (SkylakeX, Cooperlake, SapphireRapids), 2^16 for the
// others (`openblas_core`: a name openblas_get_corename gives).
int64_t bf16_min_product(std::string_view openblas_core);
// The same for the kernel set this process loaded.
int64_t bf16_min_product();
bool bf16_pays(int64_t m, int64_t n, int64_t k);

// Sets a precision for its lifetime and restores the previous request.
class PrecisionGuard {
 public:
  explicit PrecisionGuard(Precision p) : previous_(matmul_precision()) { set_matmul_precision(p); }
  ~PrecisionGuard() { set_matmul_precision(previous_); }
  PrecisionGuard(const PrecisionGuard&) = delete;
  PrecisionGuard& operator=(const PrecisionGuard&) = delete;

 private:
  Precision previous_;
};

}  // namespace qkv
