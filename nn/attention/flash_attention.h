// flash_attention.h — fused, tiled softmax attention (FlashAttention forward, FlashAttention-2
// backward) that never builds the Tq×Tk weight matrix:
//
//   out = softmax(q·kᵀ·scale, masked) · v
//
// q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv), float32 or float64.
// The mask's structured pieces (causal, window, key padding) are evaluated per tile on the fly;
// key tiles a causal or window mask hides completely are skipped. An explicit `allowed` tensor is
// read per element through its broadcast strides. A query row with no allowed key gives a zero
// output and zero gradients. Extra memory is O(B·H·Tq) (one log-sum-exp per query row) plus a few
// tiles per thread; the q, k, v operands are read in place through their strides (the
// transposed (B, T, H, Dh) views MultiHeadAttention passes need no copy).
//
// It agrees with the composed scaled-dot path (matmul → scale → masked_fill → softmax → matmul)
// to rounding; tests/attention/flash_attention_test.cpp checks both and gradchecks it.
//
// The implementation is qkv's advanced chapter; read it in this order:
//   flash_attention_tiles.h      the algorithm (the online-softmax recurrences) and the kernel's state
//   flash_attention_tiles.cpp    the math of one tile, forward and backward side by side
//   flash_attention_tile_mask.h  which scores of a tile the mask hides, without a Tq×Tk matrix
//   flash_attention_schedule.cpp how tiles become tasks on the threads, and the K/V transposes
//   flash_attention.cpp          the op: argument checks, tile sizes, layouts, autograd
#pragma once

#include "nn/attention/mask.h"
#include "tensor/tensor.h"

namespace qkv {

// Tile sizes: query rows and key columns per tile; 0 picks by length (64 below 1024 keys or
// queries, 128 from there: larger tiles run BLAS faster, smaller ones waste less of the
// diagonal tiles of a causal mask; measured with Dh = 32).
struct FlashAttentionTiles {
  int64_t query_block = 0;
  int64_t key_block = 0;
};

// Differentiable with respect to q, k and v (first order: the backward records nothing).
Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask, double scale,
                       const FlashAttentionTiles& tiles = {});

// Self-attention from one packed projection, qkv (B, T, 3·H·Dh) = x·[Wq; Wk; Wv]ᵀ: q, k and v
// are its three thirds along the last dimension, read in place. The same result as
// flash_attention on those three (B, H, T, Dh) views, but the gradient comes back as one
// (B, T, 3·H·Dh) tensor that the backward writes dq, dk and dv into, so the packed projection's
// backward is one product for dx and one for dW (MultiHeadAttention uses it for self-attention).
Tensor flash_attention_packed(const Tensor& qkv, int64_t heads, const AttentionMask& mask, double scale,
                              const FlashAttentionTiles& tiles = {});

}  // namespace qkv
