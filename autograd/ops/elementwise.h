// elementwise.h — differentiable elementwise ops and the arithmetic operators on Tensor.
//
// Each op computes its value with the raw kernel of the same name (tensor/elementwise.h) and,
// when an input requires grad, records its backward, written beside it in elementwise.cpp.
// Binary ops broadcast; the engine sums broadcast gradients back to each input's shape.
#pragma once

#include "tensor/tensor.h"

namespace qkv {
// Each op with its derivative, aligned as a table.
// clang-format off

Tensor add(const Tensor& a, const Tensor& b);       // da = dy, db = dy
Tensor sub(const Tensor& a, const Tensor& b);       // da = dy, db = -dy
Tensor mul(const Tensor& a, const Tensor& b);       // da = dy·b, db = dy·a
Tensor div(const Tensor& a, const Tensor& b);       // da = dy/b, db = -dy·a/b²
Tensor pow(const Tensor& a, const Tensor& b);       // da = dy·b·a^(b-1), db = dy·aᵇ·ln a
Tensor maximum(const Tensor& a, const Tensor& b);   // dy to the larger input (split on ties)
Tensor minimum(const Tensor& a, const Tensor& b);   // dy to the smaller input (split on ties)
Tensor add(const Tensor& a, double b);              // da = dy
Tensor mul(const Tensor& a, double b);              // da = dy·b
Tensor pow(const Tensor& x, double exponent);       // dx = dy·p·x^(p-1)

Tensor neg(const Tensor& x);       // dx = -dy
Tensor exp(const Tensor& x);       // dx = dy·y
Tensor log(const Tensor& x);       // dx = dy/x
Tensor sqrt(const Tensor& x);      // dx = dy/(2y)
Tensor abs(const Tensor& x);       // dx = dy·sign(x)
Tensor tanh(const Tensor& x);      // dx = dy·(1 - y²)
Tensor sigmoid(const Tensor& x);   // dx = dy·y·(1 - y)
Tensor relu(const Tensor& x);      // dx = dy·[x > 0]
Tensor gelu(const Tensor& x);      // dx = dy·(Φ(x) + x·φ(x))

// cond ? a : b; cond is a bool tensor.          da = dy·[cond], db = dy·[!cond]
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x with `value` where mask is true.             dx = dy·[!mask]
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// A differentiable copy with its own storage.    dx = dy
Tensor clone(const Tensor& x);
// Conversion between float32 and float64 (to int64/bool is not differentiable and records nothing).
Tensor to_dtype(const Tensor& x, Dtype dtype);  // dx = dy converted back
// The value of `hard` with the gradient of `soft` (straight-through estimator): d soft = dy.
Tensor straight_through(const Tensor& hard, const Tensor& soft);
// clang-format on

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
inline Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }
inline Tensor operator/(double a, const Tensor& b) { return mul(pow(b, -1.0), a); }

}  // namespace qkv
