// iterate.h — strided loops over tensors of one shape: the engine of every elementwise kernel.
//
// `strided_loop` walks N operands that share a shape (broadcast operands have stride 0) and
// calls `row(offsets, n, inner_strides)` once per innermost row, so the hot inner loop is a
// plain `for (i < n)` with constant strides. Dimensions that are laid out back to back in
// every operand are merged first, so a contiguous tensor is a single row of numel elements.
// `parallel_strided_loop` and `parallel_range` split the same loops across qkv's threads.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace qkv {

// Merges adjacent dimensions that are contiguous with each other in all operands and drops
// size-1 dimensions. Modifies `shape` and `strides` in place.
template <size_t N>
void coalesce_dims(Shape& shape, std::array<Shape, N>& strides) {
  Shape out_shape;
  std::array<Shape, N> out_strides;
  for (int64_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out_shape.empty();
    for (size_t k = 0; merge && k < N; ++k) {
      merge = out_strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      out_shape[out_shape.size() - 1] *= shape[d];
      for (size_t k = 0; k < N; ++k) out_strides[k][out_strides[k].size() - 1] = strides[k][d];
    } else {
      out_shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) out_strides[k].push_back(strides[k][d]);
    }
  }
  shape = out_shape;
  strides = out_strides;
}

// Calls row(offsets, n, inner) for every innermost row; offsets and inner are in elements,
// offsets counted from `base`.
template <size_t N, class Row>
void strided_loop(Shape shape, std::array<Shape, N> strides, Row&& row, std::array<int64_t, N> base = {}) {
  if (shape.numel() == 0) return;
  coalesce_dims(shape, strides);
  std::array<int64_t, N> offsets = base;
  if (shape.empty()) {  // a single element
    std::array<int64_t, N> unit{};
    row(offsets, int64_t{1}, unit);
    return;
  }
  const int64_t rank = shape.size();
  const int64_t n = shape[rank - 1];
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k) inner[k] = strides[k][rank - 1];
  std::array<int64_t, kMaxDims> counter{};
  while (true) {
    row(offsets, n, inner);
    // Advance the outer counter like an odometer, keeping offsets in step.
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      const auto ud = static_cast<size_t>(d);
      if (++counter[ud] < shape[d]) {
        for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
        break;
      }
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * (shape[d] - 1);
      counter[ud] = 0;
    }
    if (d < 0) return;
  }
}

// strided_loop, split across qkv's threads when there are at least 2·grain elements: the
// outermost (coalesced) dimension is cut into ranges, or a single long row into pieces. `row`
// must be safe to call concurrently on disjoint elements (every elementwise kernel is).
template <size_t N, class Row>
void parallel_strided_loop(Shape shape, std::array<Shape, N> strides, Row&& row, int64_t grain = grain::kElementwise) {
  coalesce_dims(shape, strides);
  const int64_t numel = shape.numel();
  if (numel < 2 * grain || shape.empty()) {
    strided_loop<N>(shape, strides, row);
    return;
  }
  const int64_t inner = numel / shape[0];  // elements per index of the outer dimension
  parallel_for(shape[0], grain::rows_per_task(grain, inner), [&](int64_t begin, int64_t end) {
    std::array<int64_t, N> base;
    for (size_t k = 0; k < N; ++k) base[k] = begin * strides[k][0];
    Shape part = shape;
    part[0] = end - begin;
    strided_loop<N>(part, strides, row, base);
  });
}

// Calls body(begin, end) on ranges covering [0, n), split across qkv's threads when n is at
// least 2·grain::kElementwise: the contiguous fast paths of elementwise kernels.
template <class Body>
void parallel_range(int64_t n, const Body& body) {
  if (n < 2 * grain::kElementwise) {
    body(int64_t{0}, n);
    return;
  }
  parallel_for(n, grain::kElementwise, body);
}

// Strides that let `t` be read as if it had the (broadcast) shape `target`: 0 on broadcast dims.
Shape broadcast_strides(const Tensor& t, const Shape& target);

// Walks two tensors of the same shape: f(pa, pb, n, stride_a, stride_b) once per row, rows
// split across qkv's threads when there are many (f must only touch its own row).
template <class A, class B, class F>
void for_each_pair(const Tensor& a, const Tensor& b, F&& f) {
  A* pa = a.data<A>();
  B* pb = b.data<B>();
  parallel_strided_loop<2>(a.shape(), {a.strides(), b.strides()},
                           [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& in) {
                             f(pa + off[0], pb + off[1], n, in[0], in[1]);
                           });
}

}  // namespace qkv
