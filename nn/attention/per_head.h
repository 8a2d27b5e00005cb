// per_head.h — x (B, H, T, D) times one matrix per head, w (H, D, E), → (B, H, T, E), computed as
// a single product batched over the H heads with B·T rows each.
//
// matmul(x, w) gives the same values, but it broadcasts w across the batch: its backward forms
// dw as B separate (H, D, E) products and then sums them, B·H·D·E numbers for a product of only
// B·H·T·D·E multiply-adds. With T = 1 (a recurrent decoder asking one query per step) that is as
// much memory traffic as arithmetic; here dw comes out of one product, (H, D, B·T)·(H, B·T, E).
#pragma once

#include "tensor/tensor.h"

namespace qkv {

// x (B, H, T, D), w (H, D, E) → (B, H, T, E), a view of an (H, B, T, E) result.
Tensor per_head_matmul(const Tensor& x, const Tensor& w);

}  // namespace qkv
