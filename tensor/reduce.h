// reduce.h — reductions over any set of axes, with keepdim; softmax and log_softmax.
//
// `axes` may be empty to mean "all axes"; negative axes count from the end. Reductions keep
// the input's dtype (mean/var/logsumexp need a floating dtype; argmax returns int64).
// Raw ops: they record nothing for autograd.
#pragma once

#include "tensor/tensor.h"

namespace qkv::raw {

using Axes = Shape;  // a list of axes, e.g. {0, 2}

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor min(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
// Largest / smallest element of the whole tensor (rank 0); throws on an empty tensor.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// log(sum(exp(x))) computed stably (max subtracted first).
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const Axes& axes = {}, int64_t correction = 1, bool keepdim = false);

// Stable softmax / log_softmax along one axis. A row that is entirely -inf gives zeros
// (softmax) rather than NaN; see the attention masks of issue "Attention".
Tensor softmax(const Tensor& x, int64_t axis);
Tensor log_softmax(const Tensor& x, int64_t axis);

}  // namespace qkv::raw
