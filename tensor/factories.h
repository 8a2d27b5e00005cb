// factories.h — tensors from nothing: zeros, ones, full, arange, and from a std::vector.
// (Random factories are in random.h.) None of these record anything for autograd.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv {

Tensor zeros(const Shape& shape, Dtype dtype = Dtype::float32);
Tensor ones(const Shape& shape, Dtype dtype = Dtype::float32);
Tensor full(const Shape& shape, double value, Dtype dtype = Dtype::float32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A rank-0 tensor holding `value`.
Tensor scalar(double value, Dtype dtype = Dtype::float32);

// [start, start+step, ...) up to but excluding `end`, like torch.arange.
Tensor arange(double start, double end, double step = 1, Dtype dtype = Dtype::float32);
inline Tensor arange(int64_t n, Dtype dtype = Dtype::float32) { return arange(0, static_cast<double>(n), 1, dtype); }

// Copies `values` into a new tensor of `shape` (numel must match) and the dtype of T.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
// One-dimensional.
template <class T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}

// The elements of `t` in row-major order, converted to T.
template <class T>
std::vector<T> to_vector(const Tensor& t);

}  // namespace qkv
