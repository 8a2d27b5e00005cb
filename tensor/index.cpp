// index.cpp — gather / scatter_add, index_select / index_add, embedding, concat, stack, split.
//
// Gathers and scatters walk the index tensor with strided_loop, so they read any strides.
// index_select, index_add and embedding view a contiguous x as [outer, size, inner] and move
// whole inner blocks with std::copy_n; concat and stack copy each input into a view of the
// output, row by row with memcpy wherever both rows are contiguous.
#include "tensor/index.h"

#include <algorithm>
#include <cstring>

#include <fmt/ranges.h>

#include "tensor/iterate.h"
#include "tensor/views.h"

namespace qkv::raw {
namespace {

// A tensor of `shape` and `dtype` filled with zeros (without depending on fill_).
Tensor zeros_of(const Shape& shape, Dtype dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  std::memset(t.storage()->data(), 0, static_cast<size_t>(t.numel()) * itemsize(dtype));
  return t;
}

void check_index_dtype(std::string_view op, const Tensor& index) {
  check(index.defined(), "{}: the index tensor is undefined", op);
  check(index.dtype() == Dtype::int64, "{}: index must be int64, got {}", op, index.dtype());
}

// Throws unless 0 <= i < size, naming the op, the index, the dimension and its size.
void check_in_range(std::string_view op, int64_t i, int64_t dim, int64_t size) {
  check(i >= 0 && i < size, "{}: index {} is out of range for dimension {} of size {}", op, i, dim, size);
}

// x viewed as [outer, size, inner] around dimension `dim` (x contiguous).
struct Blocks {
  int64_t outer = 1;
  int64_t size = 1;
  int64_t inner = 1;
};

Blocks blocks_around(const Shape& shape, int64_t dim) {
  Blocks b;
  for (int64_t d = 0; d < dim; ++d) b.outer *= shape[d];
  b.size = shape[dim];
  for (int64_t d = dim + 1; d < shape.size(); ++d) b.inner *= shape[d];
  return b;
}

// The int64 entries of a 1-D (or rank-0) index, contiguous, each checked against `size`.
Tensor checked_index_list(std::string_view op, const Tensor& index, int64_t dim, int64_t size) {
  check_index_dtype(op, index);
  check(index.dim() <= 1, "{}: index must be 1-D, got shape {}", op, index.shape());
  Tensor ic = contiguous(index);
  const int64_t* p = ic.data<int64_t>();
  for (int64_t k = 0; k < ic.numel(); ++k) check_in_range(op, p[k], dim, size);
  return ic;
}

// out[o, k, :] = x[o, idx[k], :] for x contiguous; idx already bounds-checked.
void select_blocks(const Tensor& x, int64_t dim, const int64_t* idx, int64_t n, const Tensor& out) {
  const Blocks b = blocks_around(x.shape(), dim);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    for (int64_t o = 0; o < b.outer; ++o) {
      for (int64_t k = 0; k < n; ++k) {
        std::copy_n(src + (o * b.size + idx[k]) * b.inner, b.inner, dst + (o * n + k) * b.inner);
      }
    }
  });
}

// Copies src into dst (same shape and dtype, any strides); contiguous rows go through memcpy.
void copy_into(const Tensor& dst, const Tensor& src) {
  dispatch_all(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for_each_pair<T, T>(src, dst, [](const T* s, T* d, int64_t n, int64_t ss, int64_t ds) {
      if (ss == 1 && ds == 1) {
        std::memcpy(d, s, static_cast<size_t>(n) * sizeof(T));
      } else {
        for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
      }
    });
  });
}

// The checks shared by gather and scatter_add: `index` is int64 with the rank of `shape`,
// and index.size(d) <= shape[d] for every d != dim.
void check_gather_shapes(std::string_view op, const Shape& shape, int64_t dim, const Tensor& index) {
  check_index_dtype(op, index);
  check(index.dim() == shape.size(), "{}: index has rank {} (shape {}) but the tensor has rank {} (shape {})", op,
        index.dim(), index.shape(), shape.size(), shape);
  for (int64_t d = 0; d < shape.size(); ++d) {
    check(d == dim || index.shape()[d] <= shape[d],
          "{}: index shape {} exceeds tensor shape {} in dimension {} (only dimension {} may differ)", op,
          index.shape(), shape, d, dim);
  }
}

// Strides with the entry for `dim` set to 0: the indexed dimension is addressed by hand.
Shape without_dim(Shape strides, int64_t dim) {
  strides[dim] = 0;
  return strides;
}

// Checks shared by concat and stack on the list itself; returns the first tensor.
const Tensor& check_list(std::string_view op, const std::vector<Tensor>& tensors) {
  check(!tensors.empty(), "{}: needs at least one tensor, got an empty list", op);
  for (size_t i = 0; i < tensors.size(); ++i) {
    check(tensors[i].defined(), "{}: tensor {} is undefined", op, i);
    check(tensors[i].dtype() == tensors[0].dtype(), "{}: tensor {} has dtype {} but tensor 0 has dtype {}", op, i,
          tensors[i].dtype(), tensors[0].dtype());
  }
  return tensors[0];
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check(x.defined(), "gather: the tensor is undefined");
  check(x.dim() > 0, "gather: needs a tensor of rank >= 1, got a rank-0 tensor");
  const int64_t d = normalize_axis("gather", dim, x.dim());
  check_gather_shapes("gather", x.shape(), d, index);
  Tensor out = Tensor::empty(index.shape(), x.dtype());
  const int64_t size = x.shape()[d];
  const int64_t step = x.strides()[d];
  const int64_t* ip = index.data<int64_t>();
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    strided_loop<3>(index.shape(), {index.strides(), without_dim(x.strides(), d), out.strides()},
                    [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& in) {
                      for (int64_t i = 0; i < n; ++i) {
                        const int64_t j = ip[off[0] + i * in[0]];
                        check_in_range("gather", j, d, size);
                        op[off[2] + i * in[2]] = xp[off[1] + i * in[1] + j * step];
                      }
                    });
  });
  return out;
}

Tensor scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  check(shape.size() > 0, "scatter_add: needs a shape of rank >= 1, got {}", shape);
  const int64_t d = normalize_axis("scatter_add", dim, shape.size());
  check_gather_shapes("scatter_add", shape, d, index);
  check(src.defined(), "scatter_add: src is undefined");
  check(src.dim() == index.dim(), "scatter_add: src has shape {} but index has shape {} (ranks differ)", src.shape(),
        index.shape());
  for (int64_t k = 0; k < src.dim(); ++k) {
    check(index.shape()[k] <= src.shape()[k], "scatter_add: index shape {} exceeds src shape {} in dimension {}",
          index.shape(), src.shape(), k);
  }
  Tensor out = zeros_of(shape, src.dtype());
  const int64_t size = shape[d];
  const int64_t step = out.strides()[d];
  const int64_t* ip = index.data<int64_t>();
  dispatch_numeric("scatter_add", src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* sp = src.data<T>();
    T* op = out.data<T>();
    strided_loop<3>(index.shape(), {index.strides(), src.strides(), without_dim(out.strides(), d)},
                    [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& in) {
                      for (int64_t i = 0; i < n; ++i) {
                        const int64_t j = ip[off[0] + i * in[0]];
                        check_in_range("scatter_add", j, d, size);
                        op[off[2] + i * in[2] + j * step] += sp[off[1] + i * in[1]];
                      }
                    });
  });
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check(x.defined(), "index_select: the tensor is undefined");
  check(x.dim() > 0, "index_select: needs a tensor of rank >= 1, got a rank-0 tensor");
  const int64_t d = normalize_axis("index_select", dim, x.dim());
  const Tensor idx = checked_index_list("index_select", index, d, x.shape()[d]);
  Shape shape = x.shape();
  shape[d] = idx.numel();
  Tensor out = Tensor::empty(shape, x.dtype());
  select_blocks(contiguous(x), d, idx.data<int64_t>(), idx.numel(), out);
  return out;
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  check(shape.size() > 0, "index_add: needs a shape of rank >= 1, got {}", shape);
  check(src.defined(), "index_add: src is undefined");
  const int64_t d = normalize_axis("index_add", dim, shape.size());
  const Tensor idx = checked_index_list("index_add", index, d, shape[d]);
  Shape expected = shape;
  expected[d] = idx.numel();
  check(src.shape() == expected, "index_add: src has shape {} but {} indices into {} along dimension {} need {}",
        src.shape(), idx.numel(), shape, d, expected);
  Tensor out = zeros_of(shape, src.dtype());
  const Tensor s = contiguous(src);
  const Blocks b = blocks_around(shape, d);
  const int64_t n = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  dispatch_numeric("index_add", src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* sp = s.data<T>();
    T* op = out.data<T>();
    for (int64_t o = 0; o < b.outer; ++o) {
      for (int64_t k = 0; k < n; ++k) {
        const T* from = sp + (o * n + k) * b.inner;
        T* to = op + (o * b.size + ip[k]) * b.inner;
        for (int64_t i = 0; i < b.inner; ++i) to[i] += from[i];
      }
    }
  });
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  check(weight.defined(), "embedding: the weight is undefined");
  check(weight.dim() == 2, "embedding: weight must be 2-D (rows, features), got shape {}", weight.shape());
  check_index_dtype("embedding", ids);
  const int64_t rows = weight.shape()[0];
  const Tensor ic = contiguous(ids);
  const int64_t* ip = ic.data<int64_t>();
  for (int64_t k = 0; k < ic.numel(); ++k) {
    check(ip[k] >= 0 && ip[k] < rows, "embedding: id {} is out of range for {} rows", ip[k], rows);
  }
  Shape shape = ids.shape();
  shape.push_back(weight.shape()[1]);
  Tensor out = Tensor::empty(shape, weight.dtype());
  select_blocks(contiguous(weight), 0, ip, ic.numel(), out);
  return out;
}

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  const Tensor& first = check_list("concat", tensors);
  check(first.dim() > 0, "concat: cannot concatenate rank-0 tensors");
  const int64_t d = normalize_axis("concat", dim, first.dim());
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    bool match = s.size() == first.dim();
    for (int64_t k = 0; match && k < s.size(); ++k) match = k == d || s[k] == first.shape()[k];
    check(match, "concat: tensor {} has shape {}, which does not match tensor 0's shape {} outside dimension {}", i, s,
          first.shape(), d);
    shape[d] += s[d];
  }
  Tensor out = Tensor::empty(shape, first.dtype());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    copy_into(narrow(out, d, start, t.shape()[d]), t);
    start += t.shape()[d];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  const Tensor& first = check_list("stack", tensors);
  const int64_t d = normalize_axis("stack", dim, first.dim() + 1);
  for (size_t i = 0; i < tensors.size(); ++i) {
    check(tensors[i].shape() == first.shape(), "stack: tensor {} has shape {} but tensor 0 has shape {}", i,
          tensors[i].shape(), first.shape());
  }
  Shape shape = first.shape();
  shape.insert(d, static_cast<int64_t>(tensors.size()));
  Tensor out = Tensor::empty(shape, first.dtype());
  for (size_t i = 0; i < tensors.size(); ++i) copy_into(select(out, d, static_cast<int64_t>(i)), tensors[i]);
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  check(x.dim() > 0, "split: cannot split a rank-0 tensor");
  const int64_t d = normalize_axis("split", dim, x.dim());
  int64_t total = 0;
  for (int64_t s : sizes) {
    check(s >= 0, "split: sizes must be non-negative, got {}", fmt::join(sizes, ", "));
    total += s;
  }
  check(total == x.shape()[d], "split: sizes [{}] add up to {}, but dimension {} of shape {} has size {}",
        fmt::join(sizes, ", "), total, d, x.shape(), x.shape()[d]);
  std::vector<Tensor> pieces;
  pieces.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(narrow(x, d, start, s));
    start += s;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim) {
  check(chunk > 0, "split: chunk size must be positive, got {}", chunk);
  check(x.dim() > 0, "split: cannot split a rank-0 tensor");
  const int64_t size = x.shape()[normalize_axis("split", dim, x.dim())];
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < size; start += chunk) sizes.push_back(std::min(chunk, size - start));
  if (sizes.empty()) sizes.push_back(0);  // an empty dimension gives one empty piece, as in PyTorch
  return split(x, sizes, dim);
}

}  // namespace qkv::raw
