// hard_choice.h — the two pieces of hard attention, shared by `hard` (argmax of the scores) and
// `stochastic_hard` (argmax of the scores plus Gumbel noise, i.e. a sample):
//   first_argmax_one_hot  which key each query takes, as one-hot weight rows;
//   straight_through      those weights in the forward, a soft stand-in's gradient in the backward
//                         (a differentiable op, so it lives in autograd/ops/elementwise.h).
#pragma once

#include "autograd/ops/elementwise.h"
#include "tensor/tensor.h"

namespace qkv {

// One-hot rows (scores' shape and dtype): 1 at the first maximum among the allowed entries
// (allowed: bool broadcastable to scores, or undefined = all allowed); rows with none stay 0.
// NaN scores are never chosen. Not differentiable (no graph).
Tensor first_argmax_one_hot(const Tensor& scores, const Tensor& allowed);

}  // namespace qkv
