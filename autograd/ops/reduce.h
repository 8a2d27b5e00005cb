// reduce.h — differentiable reductions, softmax and log_softmax.
// `axes` empty means all axes; see tensor/reduce.h for the forward definitions.
#pragma once

#include "tensor/reduce.h"
#include "tensor/tensor.h"

namespace qkv {

using raw::Axes;

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);   // dx = dy broadcast to x
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);  // dx = dy/n broadcast to x
// Values of the maximum along `axis`.            dx = dy at the first maximal element, 0 elsewhere
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor min(const Tensor& x, int64_t axis, bool keepdim = false);  // likewise for the minimum
// log Σ exp(x), stable.                           dx = dy·exp(x - y) = dy·softmax(x)
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim = false);
// Variance (correction 1 = unbiased).            dx = dy·2(x - mean)/(n - correction)
Tensor var(const Tensor& x, const Axes& axes = {}, int64_t correction = 1, bool keepdim = false);
// y = exp(x)/Σexp(x) along axis.                  dx = y·(dy - Σ dy·y)
Tensor softmax(const Tensor& x, int64_t axis);
// y = x - logsumexp(x) along axis.                dx = dy - softmax(x)·Σ dy
Tensor log_softmax(const Tensor& x, int64_t axis);
// Index of the first maximum along axis (int64; not differentiable).
inline Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false) { return raw::argmax(x, axis, keepdim); }

}  // namespace qkv
