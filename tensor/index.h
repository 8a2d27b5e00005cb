// index.h — picking and joining: gather, index_select, embedding lookup, concat, stack, split,
// and the scatter-style adds that are their gradients. Indices are int64 tensors and are
// bounds-checked: an index out of range throws naming the op, the index and the size.
// Raw ops: they record nothing for autograd.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv::raw {

// out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (torch.gather); index has x's rank.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// The gradient of gather: zeros of `shape` with src added at the gathered positions.
Tensor scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
// Picks entries `index` (1-D) along dim: out.shape[dim] = index.numel().
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// The gradient of index_select: zeros of `shape` with src's slices added at `index` along dim.
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
// Rows of weight (V, D) picked by ids of any shape: out has shape ids.shape + [D].
Tensor embedding(const Tensor& weight, const Tensor& ids);

// Joins along an existing dimension; all other sizes and the dtypes must agree.
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim);
// Joins along a new dimension; all shapes and dtypes must agree.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Views of consecutive pieces of `sizes` along dim (the sizes must add up to the dimension).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
// Pieces of `chunk` along dim (the last may be shorter).
std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim);

}  // namespace qkv::raw
