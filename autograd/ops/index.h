// index.h — differentiable gather, index_select, embedding, concat, stack and split.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv {

// torch.gather.                                   dx = scatter_add(zeros, dim, index, dy)
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Entries `index` (1-D int64) along dim.          dx = index_add(zeros, dim, index, dy)
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// Rows of weight (V, D) for ids of any shape.     dweight[v] = Σ over positions with id v of dy
// The row `padding_idx` (if >= 0) receives no gradient, as in torch.nn.Embedding.
Tensor embedding(const Tensor& weight, const Tensor& ids, int64_t padding_idx = -1);
// Join along an existing dim.                     dxᵢ = the slice of dy that xᵢ filled
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim);
// Join along a new dim.                           dxᵢ = select(dy, dim, i)
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Consecutive pieces along dim (each a differentiable narrow).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim);

}  // namespace qkv
