// elementwise.h — elementwise math with NumPy broadcasting, comparisons, where, masked_fill,
// dtype conversion and the in-place writes (fill_, copy_).
//
// Binary ops broadcast their inputs to a common shape (tensor/shape.h: broadcast_shapes) and
// require equal dtypes (convert with to_dtype first). Raw ops: they record nothing for autograd.
#pragma once

#include "tensor/tensor.h"

namespace qkv::raw {

// ---- unary (numeric) -------------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor relu(const Tensor& x);
// ---- unary (floating) ------------------------------------------------------------------
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
// Exact GELU, x·Φ(x) with the normal CDF via erf (PyTorch's default approximate='none').
Tensor gelu(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
// -1, 0 or 1 (numeric; implemented in activation_grad.cpp).
Tensor sign(const Tensor& x);
// dy·GELU'(x) = dy·(Φ(x) + x·φ(x)) for dy and x of one shape (activation_grad.cpp).
Tensor gelu_backward(const Tensor& dy, const Tensor& x);
// Fused backward passes given the op's output y (same shape as dy; activation_grad.cpp):
Tensor relu_backward(const Tensor& dy, const Tensor& y);     // dy·[y > 0]
Tensor tanh_backward(const Tensor& dy, const Tensor& y);     // dy·(1 − y²)
Tensor sigmoid_backward(const Tensor& dy, const Tensor& y);  // dy·y·(1 − y)

// ---- binary (numeric, broadcasting) ----------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// With a scalar on the right (converted to the tensor's dtype).
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);

// ---- comparisons (broadcasting; result is bool_) ---------------------------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& mask);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);

// ---- selection -------------------------------------------------------------------------
// cond ? a : b elementwise; cond is bool_, all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x with `value` where mask (bool_, broadcast to x's shape) is true.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

// ---- conversion and in-place writes (these bump the storage version) -------------------
Tensor to_dtype(const Tensor& x, Dtype dtype);
// Writes `value` into every element of t.
void fill_(const Tensor& t, double value);
// Writes src (broadcast to dst's shape, converted to dst's dtype) into dst.
void copy_(const Tensor& dst, const Tensor& src);
// dst += alpha * src (src broadcast to dst's shape): the accumulate of autograd and optimizers.
void add_(const Tensor& dst, const Tensor& src, double alpha = 1);
// dst *= value.
void mul_(const Tensor& dst, double value);

}  // namespace qkv::raw
