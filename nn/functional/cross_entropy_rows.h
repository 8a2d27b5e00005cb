// cross_entropy_rows.h — the arithmetic of cross entropy on one row of logits, shared by
// cross_entropy (the logits are given) and linear_cross_entropy (it makes them chunk by chunk).
//
// For logits x (C classes), target t, label smoothing ε and log-sum-exp L = log Σ_c exp(x_c):
//   loss   = (1-ε)·(L - x_t) + ε·(L - mean_c x_c)
//   dx_c   = s·(softmax_c - ε/C) - s·(1-ε)·[c = t]        (s: the row's share of dloss)
// float uses fast_exp (a vectorisable exp, within 1-2 ulp); double uses std::exp.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "tensor/error.h"
#include "tensor/fast_exp.h"
#include "tensor/lane_sum.h"

namespace qkv::cross_entropy_rows {

// Checks every target against `classes` and counts the rows that count (not ignore_index).
inline int64_t count_valid_targets(std::string_view op, const int64_t* targets, int64_t rows, int64_t classes,
                                   int64_t ignore_index) {
  int64_t valid = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t t = targets[i];
    if (t == ignore_index) continue;
    check(t >= 0 && t < classes, "{}: target {} at position {} is out of range for {} classes", op, t, i, classes);
    ++valid;
  }
  return valid;
}

template <class T>
struct RowLoss {
  T lse;   // L = log Σ_c exp(x_c)
  T loss;  // the smoothed loss above
};

// The loss of one row x[0, c) against target t. scratch holds c values (overwritten).
template <class T>
RowLoss<T> row_loss(const T* x, int64_t c, int64_t t, double smoothing, T* scratch) {
  const T m = lane_max(c, x);
  for (int64_t k = 0; k < c; ++k) scratch[k] = exp_of<T>(x[k] - m);  // vectorised
  const double l = static_cast<double>(m) + std::log(lane_sum(c, [&](int64_t k) { return scratch[k]; }));
  const double mean_x = smoothing > 0 ? lane_sum(c, [&](int64_t k) { return x[k]; }) / static_cast<double>(c) : 0.0;
  return {static_cast<T>(l), static_cast<T>((1 - smoothing) * (l - x[t]) + smoothing * (l - mean_x))};
}

// dx = ∂(s·loss)/∂x for one row, from its log-sum-exp. dx may be x itself (in place).
template <class T>
void row_gradient(const T* x, int64_t c, int64_t t, T lse, T s, double smoothing, T* dx) {
  const T smooth = static_cast<T>(smoothing / static_cast<double>(c));
  for (int64_t k = 0; k < c; ++k) dx[k] = s * (exp_of<T>(x[k] - lse) - smooth);  // vectorised
  dx[t] -= s * static_cast<T>(1 - smoothing);
}

}  // namespace qkv::cross_entropy_rows
