// tensor.h — Tensor: a strided n-dimensional view of a shared Storage.
//
// A Tensor is (storage, shape, strides, offset, dtype). Copying a Tensor is cheap and shares
// the storage, as in PyTorch; `clone()` copies the data. Element (i0, i1, ...) lives at
// storage[offset + i0*strides[0] + i1*strides[1] + ...], strides counted in elements.
//
// This header knows nothing of gradients beyond an opaque pointer: the autograd layer
// (autograd/) owns `AutogradMeta` and defines the gradient-related members declared at the
// bottom. The functions that compute on tensors without recording anything live in namespace
// qkv::raw (tensor/*.h); their differentiable counterparts, which most code uses, are in qkv::
// (autograd/ops/*.h).
//
//   Tensor x = raw::arange(6, Dtype::float32);     // [0, 1, 2, 3, 4, 5]
//   Tensor m = raw::reshape(x, {2, 3});            // a view: same storage
//   Tensor t = raw::transpose(m, 0, 1);            // shape [3, 2], strides [1, 3]
#pragma once

#include <cstdint>
#include <memory>

#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace qkv {

struct AutogradMeta;  // defined in autograd/node.h

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor; defined() is false
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, Dtype dtype);

  // Allocates an uninitialised contiguous tensor.
  static Tensor empty(const Shape& shape, Dtype dtype = Dtype::float32);

  bool defined() const { return storage_ != nullptr; }
  Dtype dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t dim() const { return shape_.size(); }
  int64_t numel() const { return shape_.numel(); }
  // Size of dimension `d`; negative counts from the end.
  int64_t size(int64_t d) const;
  bool is_contiguous() const;

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // Pointer to the first element; throws if T does not match dtype().
  template <class T>
  T* data() const;

  // The single value of a one-element tensor, converted to double.
  double item() const;

  // A view with new metadata on the same storage (no checks beyond bounds).
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;

  // A contiguous copy with its own storage. Records nothing for autograd: see qkv::clone.
  Tensor clone() const;

  // Marks an in-place write to the storage (see Storage::version).
  void bump_version() const { storage_->bump_version(); }

  // ---- Gradients: defined in autograd/tensor_autograd.cpp --------------------------------
  bool requires_grad() const;
  // Makes this tensor a leaf whose gradient is accumulated by backward().
  Tensor& requires_grad_(bool on = true);
  // The accumulated gradient (undefined until a backward reaches this leaf).
  Tensor grad() const;
  void zero_grad();
  // Backpropagates from this scalar (gradient 1), or with an explicit output gradient.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& grad_output, bool retain_graph = false) const;
  // The same data, cut from the graph (requires_grad() is false).
  Tensor detach() const;
  const std::shared_ptr<AutogradMeta>& autograd_meta() const { return autograd_; }
  void set_autograd_meta(std::shared_ptr<AutogradMeta> meta) { autograd_ = std::move(meta); }

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  Dtype dtype_ = Dtype::float32;
  std::shared_ptr<AutogradMeta> autograd_;
};

template <class T>
T* Tensor::data() const {
  check(defined(), "data: the tensor is undefined");
  check(dtype_of<T> == dtype_, "data: the tensor holds {}, not {}", dtype_, dtype_of<T>);
  return reinterpret_cast<T*>(storage_->data()) + offset_;
}

}  // namespace qkv
