// index.cpp — forward and backward of the indexing and joining ops.
#include "autograd/ops/index.h"

#include "autograd/ops/views.h"
#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/index.h"
#include "tensor/views.h"

namespace qkv {

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor y = raw::gather(x, dim, index);
  if (needs_grad(x)) {
    record("gather", y, {x}, [shape = x.shape(), dim, index](const Tensor& dy) -> Grads {
      return {raw::scatter_add(shape, dim, index, dy)};
    });
  }
  return y;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor y = raw::index_select(x, dim, index);
  if (needs_grad(x)) {
    record("index_select", y, {x}, [shape = x.shape(), dim, index](const Tensor& dy) -> Grads {
      return {raw::index_add(shape, dim, index, dy)};
    });
  }
  return y;
}

Tensor embedding(const Tensor& weight, const Tensor& ids, int64_t padding_idx) {
  Tensor y = raw::embedding(weight, ids);
  if (needs_grad(weight)) {
    record("embedding", y, {weight}, [shape = weight.shape(), ids, padding_idx](const Tensor& dy) -> Grads {
      const Tensor rows = raw::reshape(dy, {-1, shape[1]});  // (N, D)
      Tensor dweight = raw::index_add(shape, 0, raw::flatten(ids), rows);
      if (padding_idx >= 0) raw::fill_(raw::select(dweight, 0, padding_idx), 0.0);
      return {dweight};
    });
  }
  return y;
}

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = raw::concat(tensors, dim);
  if (needs_grad(tensors)) {
    const int64_t d = normalize_axis("concat", dim, y.dim());
    std::vector<int64_t> sizes;
    for (const Tensor& t : tensors) sizes.push_back(t.shape()[d]);
    record("concat", y, tensors, [sizes, d](const Tensor& dy) -> Grads { return raw::split(dy, sizes, d); });
  }
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = raw::stack(tensors, dim);
  if (needs_grad(tensors)) {
    const int64_t d = normalize_axis("stack", dim, y.dim());
    record("stack", y, tensors, [d](const Tensor& dy) -> Grads {
      Grads grads;
      for (int64_t i = 0; i < dy.shape()[d]; ++i) grads.push_back(raw::select(dy, d, i));
      return grads;
    });
  }
  return y;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  // raw::split checks the sizes; each piece is then taken again as a differentiable narrow.
  const std::vector<Tensor> pieces = raw::split(x, sizes, dim);
  const int64_t d = normalize_axis("split", dim, x.dim());
  std::vector<Tensor> out;
  int64_t start = 0;
  for (const Tensor& piece : pieces) {
    out.push_back(narrow(x, d, start, piece.shape()[d]));
    start += piece.shape()[d];
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim) {
  const std::vector<Tensor> pieces = raw::split(x, chunk, dim);
  const int64_t d = normalize_axis("split", dim, x.dim());
  std::vector<int64_t> sizes;
  for (const Tensor& piece : pieces) sizes.push_back(piece.shape()[d]);
  return split(x, sizes, d);
}

}  // namespace qkv
