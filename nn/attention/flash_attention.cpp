// flash_attention.cpp — the fused attention as an op: checks its arguments, picks the tile
// sizes, lays out the outputs, runs the kernel forward and records its backward for autograd
// (flash_attention and the packed self-attention form flash_attention_packed).
//
// Chapter order: flash_attention.h, flash_attention_tiles.h (the algorithm),
// flash_attention_tiles.cpp (one tile's math), flash_attention_tile_mask.h,
// flash_attention_schedule.cpp (tasks and threads), this file.
//
// MEMORY. Outputs and gradients are allocated as (B, T, H, D) and returned as (B, H, T, D) views,
// the layout MultiHeadAttention's head split and merge use, so neither side copies. Besides
// them, L (B, H, Tq) is saved for backward; the kernel's own working memory is described in
// flash_attention_schedule.cpp.
#include "nn/attention/flash_attention.h"

#include <algorithm>
#include <climits>

#include "autograd/record.h"
#include "nn/attention/flash_attention_schedule.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Automatic tile sizes (FlashAttentionTiles with 0): 64 query rows × 64 keys, or 128 × 128 from
// 1024 queries or keys on (larger tiles run BLAS faster, smaller ones waste less of the diagonal
// tiles of a causal mask; measured with Dh = 32).
constexpr int64_t kShortSequenceBlock = 64;
constexpr int64_t kLongSequenceBlock = 128;
constexpr int64_t kLongSequence = 1024;

// t itself if its rows suit BLAS (unit column stride, row stride >= D), else a contiguous copy.
Tensor blas_ready(const Tensor& t) {
  const int64_t rows = t.size(2), cols = t.size(3);
  const bool cols_ok = cols <= 1 || t.strides()[3] == 1;
  const bool rows_ok = rows <= 1 || t.strides()[2] >= std::max<int64_t>(cols, 1);
  return cols_ok && rows_ok ? t : raw::contiguous(t);
}

// A zero-filled or uninitialised (B, H, T, D) tensor laid out as (B, T, H, D).
Tensor heads_last(int64_t B, int64_t H, int64_t T, int64_t D, Dtype dtype, bool zero) {
  const Tensor t = zero ? zeros({B, T, H, D}, dtype) : Tensor::empty({B, T, H, D}, dtype);
  return raw::transpose(t, 1, 2);
}

// The sizes of one call, from q (B, H, Tq, Dh), k (B, H, Tk, Dh) and v (B, H, Tk, Dv).
struct Sizes {
  int64_t B, H, Tq, Tk, Dh, Dv;
};

Sizes checked_sizes(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                    const FlashAttentionTiles& tiles) {
  check(q.defined() && k.defined() && v.defined(), "flash_attention: q, k or v is undefined");
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
        "flash_attention: expected q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv), got {}, {}, {}", q.shape(),
        k.shape(), v.shape());
  const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
  check(
      k.size(0) == B && v.size(0) == B && k.size(1) == H && v.size(1) == H && v.size(2) == Tk && k.size(3) == q.size(3),
      "flash_attention: q {}, k {} and v {} disagree (need q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv))",
      q.shape(), k.shape(), v.shape());
  check(q.dtype() == k.dtype() && q.dtype() == v.dtype(), "flash_attention: dtypes differ: q {}, k {}, v {}", q.dtype(),
        k.dtype(), v.dtype());
  check(is_floating(q.dtype()), "flash_attention: needs float32 or float64, got {}", q.dtype());
  check(tiles.query_block >= 0 && tiles.key_block >= 0, "flash_attention: tile sizes {}×{} must not be negative",
        tiles.query_block, tiles.key_block);
  check(std::max({q.size(3), v.size(3), Tq, Tk}) <= INT_MAX, "flash_attention: sizes too large for BLAS");
  mask.validate("flash_attention", B, H, Tq, Tk);
  return {B, H, Tq, Tk, q.size(3), v.size(3)};
}

// The kernel's state, by name (flash_attention_tiles.h); kt and vt are left to the schedule.
template <class T>
flash::Kernel<T> make_kernel(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v,
                             const AttentionMask& mask, double scale, const FlashAttentionTiles& tiles) {
  return flash::Kernel<T>{.B = z.B,
                          .H = z.H,
                          .Tq = z.Tq,
                          .Tk = z.Tk,
                          .Dh = z.Dh,
                          .Dv = z.Dv,
                          .scale = static_cast<T>(scale),
                          .br = tiles.query_block,
                          .bc = tiles.key_block,
                          .mask = flash::TileMask(mask, z.Tq, z.Tk),
                          .q = flash::operand<T>(q),
                          .k = flash::operand<T>(k),
                          .v = flash::operand<T>(v)};
}

// The tile sizes to run with: the requested ones, or by length where 0.
FlashAttentionTiles resolved(const Sizes& z, const FlashAttentionTiles& requested) {
  const int64_t auto_block = std::max(z.Tq, z.Tk) >= kLongSequence ? kLongSequenceBlock : kShortSequenceBlock;
  return {requested.query_block > 0 ? requested.query_block : auto_block,
          requested.key_block > 0 ? requested.key_block : auto_block};
}

// The forward on BLAS-ready q, k, v: out (B, H, Tq, Dv), a view of (B, Tq, H, Dv), and the
// log-sum-exp L (B, H, Tq) the backward needs.
std::pair<Tensor, Tensor> attend(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v,
                                 const AttentionMask& mask, double scale, const FlashAttentionTiles& tiles) {
  Tensor out = heads_last(z.B, z.H, z.Tq, z.Dv, q.dtype(), false);
  Tensor lse = Tensor::empty({z.B, z.H, z.Tq}, q.dtype());  // L = m + log l per query row
  dispatch_floating("flash_attention", q.dtype(), [&](auto tag) {
    using T = decltype(tag);
    flash::run_forward(make_kernel<T>(z, q, k, v, mask, scale, tiles), out, lse);
  });
  return {out, lse};
}

// The backward: accumulates into dq, dk, dv (zero-filled, any BLAS-ready layout).
void attend_backward(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                     double scale, const FlashAttentionTiles& tiles, const Tensor& out, const Tensor& lse,
                     const Tensor& grad_out, const Tensor& dq, const Tensor& dk, const Tensor& dv) {
  const Tensor dout = blas_ready(grad_out);
  dispatch_floating("flash_attention", q.dtype(), [&](auto tag) {
    using T = decltype(tag);
    flash::run_backward(make_kernel<T>(z, q, k, v, mask, scale, tiles), out, dout, lse, dq, dk, dv);
  });
}

// Part `part` (0: q, 1: k, 2: v) of a contiguous packed qkv (B, T, 3·H·D), as a (B, H, T, D)
// view: row stride 3·H·D, so BLAS reads it in place.
Tensor packed_part(const Tensor& qkv, int64_t heads, int64_t part) {
  const int64_t B = qkv.size(0), T = qkv.size(1), E = qkv.size(2) / 3, D = E / heads;
  return qkv.as_strided({B, heads, T, D}, {T * 3 * E, D, 3 * E, 1}, qkv.offset() + part * E);
}

}  // namespace

Tensor flash_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionMask& mask,
                       double scale, const FlashAttentionTiles& requested_tiles) {
  const Sizes z = checked_sizes(q_in, k_in, v_in, mask, requested_tiles);
  const FlashAttentionTiles tiles = resolved(z, requested_tiles);
  // BLAS-ready operands: the inputs themselves unless their rows are not contiguous.
  const Tensor q = blas_ready(q_in), k = blas_ready(k_in), v = blas_ready(v_in);
  auto [out, lse] = attend(z, q, k, v, mask, scale, tiles);
  if (needs_grad(q_in, k_in, v_in)) {
    record("flash_attention", out, {q_in, k_in, v_in},
           [sq = save("flash_attention", q), sk = save("flash_attention", k), sv = save("flash_attention", v),
            so = save("flash_attention", out), sl = save("flash_attention", lse), mask, scale, tiles,
            z](const Tensor& grad_out) -> Grads {
             const Dtype dtype = sq.get().dtype();
             Tensor dq = heads_last(z.B, z.H, z.Tq, z.Dh, dtype, true);  // (B, H, Tq, Dh)
             Tensor dk = heads_last(z.B, z.H, z.Tk, z.Dh, dtype, true);  // (B, H, Tk, Dh)
             Tensor dv = heads_last(z.B, z.H, z.Tk, z.Dv, dtype, true);  // (B, H, Tk, Dv)
             attend_backward(z, sq.get(), sk.get(), sv.get(), mask, scale, tiles, so.get(), sl.get(), grad_out, dq, dk,
                             dv);
             return {dq, dk, dv};
           });
  }
  return out;
}

Tensor flash_attention_packed(const Tensor& qkv_in, int64_t heads, const AttentionMask& mask, double scale,
                              const FlashAttentionTiles& requested_tiles) {
  check(qkv_in.defined() && qkv_in.dim() == 3 && heads > 0 && qkv_in.size(2) % (3 * heads) == 0,
        "flash_attention_packed: qkv must be (B, T, 3·H·Dh) with H = {} heads, got {}", heads,
        qkv_in.defined() ? qkv_in.shape() : Shape{});
  const Tensor qkv = qkv_in.is_contiguous() ? qkv_in : raw::contiguous(qkv_in);
  const Tensor q = packed_part(qkv, heads, 0), k = packed_part(qkv, heads, 1), v = packed_part(qkv, heads, 2);
  const Sizes z = checked_sizes(q, k, v, mask, requested_tiles);
  const FlashAttentionTiles tiles = resolved(z, requested_tiles);
  auto [out, lse] = attend(z, q, k, v, mask, scale, tiles);
  if (needs_grad(qkv_in)) {
    record("flash_attention_packed", out, {qkv_in},
           [sqkv = save("flash_attention_packed", qkv), so = save("flash_attention_packed", out),
            sl = save("flash_attention_packed", lse), heads, mask, scale, tiles, z](const Tensor& grad_out) -> Grads {
             const Tensor& x = sqkv.get();
             // One gradient buffer, laid out like qkv: the kernel writes dq, dk and dv into
             // their thirds of it, so nothing is split or summed afterwards.
             Tensor dqkv = zeros(x.shape(), x.dtype());
             attend_backward(z, packed_part(x, heads, 0), packed_part(x, heads, 1), packed_part(x, heads, 2), mask,
                             scale, tiles, so.get(), sl.get(), grad_out, packed_part(dqkv, heads, 0),
                             packed_part(dqkv, heads, 1), packed_part(dqkv, heads, 2));
             return {dqkv};
           });
  }
  return out;
}

}  // namespace qkv
