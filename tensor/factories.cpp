// factories.cpp — zeros, ones, full, arange, from_vector, to_vector.
#include "tensor/factories.h"

#include <cmath>

#include "tensor/elementwise.h"
#include "tensor/iterate.h"

namespace qkv {

Tensor full(const Shape& shape, double value, Dtype dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  raw::fill_(t, value);
  return t;
}
Tensor zeros(const Shape& shape, Dtype dtype) { return full(shape, 0, dtype); }
Tensor ones(const Shape& shape, Dtype dtype) { return full(shape, 1, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }
Tensor scalar(double value, Dtype dtype) { return full(Shape{}, value, dtype); }

Tensor arange(double start, double end, double step, Dtype dtype) {
  check(step != 0, "arange: step must be nonzero");
  check(std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
        "arange: start {}, end {} and step {} must be finite", start, end, step);
  const double count = std::ceil((end - start) / step);
  const auto n = static_cast<int64_t>(std::max(count, 0.0));
  Tensor t = Tensor::empty(Shape{n}, dtype);
  dispatch_numeric("arange", dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  check(static_cast<int64_t>(values.size()) == shape.numel(),
        "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape, shape.numel());
  Tensor t = Tensor::empty(shape, dtype_of<T>);
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

template <class T>
std::vector<T> to_vector(const Tensor& t) {
  check(t.defined(), "to_vector: the tensor is undefined");
  std::vector<T> out;
  out.reserve(static_cast<size_t>(t.numel()));
  dispatch_all(t.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* base = t.data<S>();
    strided_loop<1>(t.shape(), {t.strides()},
                    [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& in) {
                      for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<T>(base[off[0] + i * in[0]]));
                    });
  });
  return out;
}

template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&);
template std::vector<float> to_vector(const Tensor&);
template std::vector<double> to_vector(const Tensor&);
template std::vector<int64_t> to_vector(const Tensor&);

// std::vector<bool> is bit-packed, so bool tensors are built from uint8-like values instead.
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  check(static_cast<int64_t>(values.size()) == shape.numel(),
        "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape, shape.numel());
  Tensor t = Tensor::empty(shape, Dtype::bool_);
  bool* p = t.data<bool>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

}  // namespace qkv
