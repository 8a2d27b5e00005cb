// views.cpp — forward and backward of the differentiable views.
#include "autograd/ops/views.h"

#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Records a view whose backward only needs to reshape dy back to the input's shape.
Tensor reshaping_view(OpName op, const Tensor& x, Tensor y) {
  if (needs_grad(x)) {
    record(op, y, {x}, [shape = x.shape()](const Tensor& dy) -> Grads { return {raw::reshape(dy, shape)}; });
  }
  return y;
}

// Records a view of part of x: backward writes dy into that part of a zero tensor.
template <class Part>
Tensor part_view(OpName op, const Tensor& x, Part part) {
  Tensor y = part(x);
  if (needs_grad(x)) {
    record(op, y, {x}, [shape = x.shape(), dtype = x.dtype(), part](const Tensor& dy) -> Grads {
      Tensor dx = zeros(shape, dtype);
      raw::copy_(part(dx), dy);
      return {dx};
    });
  }
  return y;
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape) { return reshaping_view("view", x, raw::view(x, shape)); }
Tensor reshape(const Tensor& x, const Shape& shape) { return reshaping_view("reshape", x, raw::reshape(x, shape)); }
Tensor flatten(const Tensor& x) { return reshaping_view("flatten", x, raw::flatten(x)); }
Tensor squeeze(const Tensor& x, int64_t dim) { return reshaping_view("squeeze", x, raw::squeeze(x, dim)); }
Tensor squeeze(const Tensor& x) { return reshaping_view("squeeze", x, raw::squeeze(x)); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return reshaping_view("unsqueeze", x, raw::unsqueeze(x, dim)); }

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  Tensor y = raw::transpose(x, dim0, dim1);
  if (needs_grad(x)) {
    record("transpose", y, {x}, [dim0, dim1](const Tensor& dy) -> Grads { return {raw::transpose(dy, dim0, dim1)}; });
  }
  return y;
}

Tensor permute(const Tensor& x, const Shape& dims) {
  Tensor y = raw::permute(x, dims);
  if (needs_grad(x)) {
    Shape inverse = dims;
    for (int64_t i = 0; i < dims.size(); ++i) inverse[normalize_axis("permute", dims[i], x.dim())] = i;
    record("permute", y, {x}, [inverse](const Tensor& dy) -> Grads { return {raw::permute(dy, inverse)}; });
  }
  return y;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return part_view("narrow", x, [=](const Tensor& t) { return raw::narrow(t, dim, start, length); });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return part_view("slice", x, [=](const Tensor& t) { return raw::slice(t, dim, start, end, step); });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return part_view("select", x, [=](const Tensor& t) { return raw::select(t, dim, index); });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor y = raw::expand(x, shape);
  // The engine sums dy over the expanded dimensions when it reduces to x's shape.
  if (needs_grad(x)) record("expand", y, {x}, [](const Tensor& dy) -> Grads { return {dy}; });
  return y;
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor y = raw::contiguous(x);
  if (needs_grad(x)) record("contiguous", y, {x}, [](const Tensor& dy) -> Grads { return {dy}; });
  return y;
}

}  // namespace qkv
