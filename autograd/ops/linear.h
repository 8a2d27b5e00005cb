// linear.h — the affine map of a Linear layer, y = x·Wᵀ + b, as one differentiable op
// (torch.nn.functional.linear).
#pragma once

#include "tensor/tensor.h"

namespace qkv {

// x (..., K), weight (N, K), bias (N) or undefined  ->  y (..., N).
//   dx = dy·W     dW = dyᵀ·x     db = Σ_rows dy
// One product over all the rows of x, with the bias as its starting value, instead of a
// matmul, a transpose view and a broadcast add: the bias costs no pass of its own, and W's
// gradient comes out in W's own (N, K) layout.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace qkv
