// views.h — reshaping without copying: every function here returns a tensor that shares the
// input's storage (except reshape and contiguous, which copy only when they must).
// Raw ops: they record nothing for autograd; see autograd/ops/views.h for that.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv::raw {

// A view with the new shape; one size may be -1 (inferred). Throws if the strides do not allow
// a view (use reshape, which copies then).
Tensor view(const Tensor& t, const Shape& shape);
// view when possible, otherwise a contiguous copy.
Tensor reshape(const Tensor& t, const Shape& shape);
Tensor flatten(const Tensor& t);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
// dims is a permutation of 0..rank-1: out.shape[i] = t.shape[dims[i]].
Tensor permute(const Tensor& t, const Shape& dims);
// Elements start, start+1, ..., start+length-1 of dimension dim.
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
// Python-style t[..., start:end:step, ...] on dimension dim (negative start/end count from the end).
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// t[..., index, ...]: removes dimension dim.
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor squeeze(const Tensor& t, int64_t dim);
// Removes every size-1 dimension.
Tensor squeeze(const Tensor& t);
Tensor unsqueeze(const Tensor& t, int64_t dim);
// Repeats size-1 dimensions (and new leading ones) to `shape` with stride 0; -1 keeps a size.
Tensor expand(const Tensor& t, const Shape& shape);
inline Tensor broadcast_to(const Tensor& t, const Shape& shape) { return raw::expand(t, shape); }
// t itself when contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& t);

}  // namespace qkv::raw
