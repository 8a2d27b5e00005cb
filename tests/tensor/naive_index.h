// naive_index.h — the tensor tests' independent oracle for indexing: read an element straight
// through its offset and strides, and list every multi-index of a shape, with no library loops.
// Shared by elementwise_test.cpp and reduce_test.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace qkv::naive {

using Index = std::vector<int64_t>;

// Element `idx` of t, read straight through its offset and strides (no library loops).
inline double read_at(const Tensor& t, const Index& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[static_cast<int64_t>(d)];
  return dispatch_all(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(t.data<T>()[off]);
  });
}

// Every multi-index of `shape` in row-major order (one empty index for rank 0).
inline std::vector<Index> all_indices(const Shape& shape) {
  std::vector<Index> out;
  if (shape.numel() == 0) return out;
  Index idx(static_cast<size_t>(shape.size()), 0);
  while (true) {
    out.push_back(idx);
    int64_t d = shape.size() - 1;
    for (; d >= 0; --d) {
      if (++idx[static_cast<size_t>(d)] < shape[d]) break;
      idx[static_cast<size_t>(d)] = 0;
    }
    if (d < 0) return out;
  }
}

}  // namespace qkv::naive
