// views.h — differentiable views. Forward shares storage (tensor/views.h); backward maps the
// output's gradient back onto the input's shape.
#pragma once

#include "tensor/tensor.h"

namespace qkv {
// Each op with its derivative, aligned as a table.
// clang-format off

Tensor view(const Tensor& x, const Shape& shape);     // dx = dy viewed as x's shape
Tensor reshape(const Tensor& x, const Shape& shape);  // dx = reshape(dy, x.shape)
Tensor flatten(const Tensor& x);                      // dx = reshape(dy, x.shape)
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);  // dx = transpose(dy, dim0, dim1)
Tensor permute(const Tensor& x, const Shape& dims);   // dx = permute(dy, inverse(dims))
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);  // dx = dy placed in zeros
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);  // likewise
Tensor select(const Tensor& x, int64_t dim, int64_t index);  // likewise
Tensor squeeze(const Tensor& x, int64_t dim);         // dx = reshape(dy, x.shape)
Tensor squeeze(const Tensor& x);                      // dx = reshape(dy, x.shape)
Tensor unsqueeze(const Tensor& x, int64_t dim);       // dx = reshape(dy, x.shape)
Tensor expand(const Tensor& x, const Shape& shape);   // dx = dy summed over the expanded dims
inline Tensor broadcast_to(const Tensor& x, const Shape& shape) { return expand(x, shape); }
Tensor contiguous(const Tensor& x);                   // dx = dy

// clang-format on
}  // namespace qkv
