// tensor.cpp — Tensor construction, metadata queries and clone.
#include "tensor/tensor.h"

#include "tensor/iterate.h"

namespace qkv {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, Dtype dtype)
    : storage_(std::move(storage)), shape_(shape), strides_(strides), offset_(offset), dtype_(dtype) {
  check(shape_.size() == strides_.size(), "Tensor: shape {} and strides {} differ in rank", shape_, strides_);
  for (int64_t d : shape_) check(d >= 0, "Tensor: negative size in shape {}", shape_);
}

Tensor Tensor::empty(const Shape& shape, Dtype dtype) {
  for (int64_t d : shape) check(d >= 0, "empty: negative size in shape {}", shape);
  auto storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * itemsize(dtype));
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

int64_t Tensor::size(int64_t d) const { return shape_[normalize_axis("size", d, dim())]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

double Tensor::item() const {
  check(defined(), "item: the tensor is undefined");
  check(numel() == 1, "item: needs a tensor with one element, got shape {}", shape_);
  return dispatch_all(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(*data<T>());
  });
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  Tensor view(storage_, shape, strides, offset, dtype_);
  return view;
}

Tensor Tensor::clone() const {
  check(defined(), "clone: the tensor is undefined");
  Tensor out = empty(shape_, dtype_);
  dispatch_all(dtype_, [&](auto tag) {
    using T = decltype(tag);
    for_each_pair<T, T>(*this, out, [](const T* s, T* d, int64_t n, int64_t ss, int64_t ds) {
      for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
    });
  });
  return out;
}

}  // namespace qkv
