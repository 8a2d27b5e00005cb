// sorted_rows.h — what the sorting normalisers (sparsemax, entmax15) share, so that each of
// their files holds only its own row math: p = f(z - τ) with a threshold τ found by sorting
// one row of scores.
//
//   sorted_included(zr, ar, pr, n, scale, sorted)  // one row: zero pr, then sort the allowed,
//                                                  // finite scores (times scale) descending
//   rowwise_normaliser("sparsemax", scores, allowed, forward_rows, backward_rows)  // the op
//
// The rules they share: a masked key (allowed false) or a -inf score is left out and gets weight
// 0; a row with every key left out becomes all zeros, with zero gradient; a NaN or +inf score
// makes its row's weights NaN (and NaNs never reach std::sort).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "autograd/record.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv::sorted_rows {

// Whether key i of a row takes part: allowed (ar null: every key is) and not -inf.
template <class T>
bool included(const T* zr, const bool* ar, int64_t i) {
  return (ar == nullptr || ar[i]) && zr[i] != -INFINITY;
}

// Prepares one row of n scores zr (mask row ar, or null) and its weights pr: sets pr to zero
// and fills `sorted` with scale·zᵢ of the included keys, sorted descending. Returns false when
// the row is finished already: every key left out (pr stays all zeros), or a NaN or +inf score
// (the included keys' weights become NaN).
template <class T>
bool sorted_included(const T* zr, const bool* ar, T* pr, int64_t n, double scale, std::vector<double>& sorted) {
  sorted.clear();
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) {
    if (!included(zr, ar, i)) continue;
    sorted.push_back(static_cast<double>(zr[i]) * scale);
    finite = finite && std::isfinite(sorted.back());
  }
  std::fill(pr, pr + n, T(0));
  if (sorted.empty()) return false;
  if (!finite) {
    for (int64_t i = 0; i < n; ++i) {
      if (included(zr, ar, i)) pr[i] = std::numeric_limits<T>::quiet_NaN();
    }
    return false;
  }
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  return true;
}

// Rows per parallel task: enough work per task to be worth a thread.
inline int64_t grain_for(int64_t n) { return grain::rows_per_task(grain::kSortedRows, n); }

// The normaliser as a differentiable op over the last axis: scores (..., Tk), allowed bool
// broadcastable to scores (or undefined) → weights of scores' shape. forward_rows(z, allowed, p,
// first, last, n) and backward_rows(p, dy, dz, first, last, n) work on rows [first, last) of
// contiguous arrays with rows of n; both are called for float and for double (generic lambdas),
// on disjoint row ranges in parallel. The backward sees only the weights p, as both of these
// normalisers' Jacobians depend on p alone.
template <class ForwardRows, class BackwardRows>
Tensor rowwise_normaliser(OpName name, const Tensor& scores, const Tensor& allowed, ForwardRows forward_rows,
                          BackwardRows backward_rows) {
  check(scores.dim() >= 1, "{}: expected scores with at least one dimension, got {}", name, scores.shape());
  check(scores.dtype() == Dtype::float32 || scores.dtype() == Dtype::float64,
        "{}: scores must be float32 or float64, got {}", name, scores.dtype());
  check(!allowed.defined() || allowed.dtype() == Dtype::bool_, "{}: the mask must be bool, got {}", name,
        allowed.defined() ? allowed.dtype() : Dtype::bool_);
  const Tensor z = raw::contiguous(scores);
  const Tensor a = allowed.defined() ? raw::contiguous(raw::expand(allowed, scores.shape())) : Tensor();
  Tensor p = Tensor::empty(scores.shape(), scores.dtype());
  const int64_t n = scores.size(-1);
  const int64_t rows = n == 0 ? 0 : scores.numel() / n;
  const bool* ap = a.defined() ? a.data<bool>() : nullptr;
  parallel_for(rows, grain_for(n), [&](int64_t first, int64_t last) {
    if (scores.dtype() == Dtype::float64) {
      forward_rows(z.data<double>(), ap, p.data<double>(), first, last, n);
    } else {
      forward_rows(z.data<float>(), ap, p.data<float>(), first, last, n);
    }
  });
  if (!needs_grad(scores)) return p;
  auto backward = [backward_rows](const Tensor& weights, const Tensor& dy_any) {
    const Tensor dy = raw::contiguous(raw::expand(dy_any, weights.shape()));
    Tensor dz = Tensor::empty(weights.shape(), weights.dtype());
    const int64_t len = weights.size(-1);
    const int64_t count = len == 0 ? 0 : weights.numel() / len;
    parallel_for(count, grain_for(len), [&](int64_t first, int64_t last) {
      if (weights.dtype() == Dtype::float64) {
        backward_rows(weights.data<double>(), dy.data<double>(), dz.data<double>(), first, last, len);
      } else {
        backward_rows(weights.data<float>(), dy.data<float>(), dz.data<float>(), first, last, len);
      }
    });
    return dz;
  };
  record(name, p, {scores},
         [saved = save(name, p), backward](const Tensor& dy) -> Grads { return {backward(saved.get(), dy)}; });
  return p;
}

}  // namespace qkv::sorted_rows
