// lane_sum.h — Σ term(i) over i in [0, n), accumulated in double, fast; and the same trick for
// a row's maximum (lane_max).
//
// A single running sum makes every addition wait for the previous one (about four cycles per
// element); eight independent running sums overlap, and the compiler turns them into vector
// additions. The result differs from the left-to-right sum only in double rounding (~1e-16
// relative). Used by the row reductions of layer_norm and cross_entropy.
//
//   const double total = lane_sum(n, [&](int64_t i) { return x[i]; });
//   const float largest = lane_max(n, x);   // -inf for n = 0; NaNs are passed over
#pragma once

#include <cstdint>
#include <limits>

namespace qkv {

template <class Term>
inline double lane_sum(int64_t n, const Term& term) {
  constexpr int64_t kLanes = 8;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) lanes[k] += static_cast<double>(term(i + k));
  }
  double tail = 0;
  for (; i < n; ++i) tail += static_cast<double>(term(i));
  return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])) + tail;
}

// max over x[0, n), in 16 independent lanes (a single running max waits on every comparison;
// 16 lanes become vector max instructions). The same value as the left-to-right max.
template <class T>
inline T lane_max(int64_t n, const T* x) {
  constexpr int64_t kLanes = 16;
  constexpr T lowest = -std::numeric_limits<T>::infinity();
  T lanes[kLanes];
  for (T& lane : lanes) lane = lowest;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) lanes[k] = x[i + k] > lanes[k] ? x[i + k] : lanes[k];
  }
  T best = lowest;
  for (T lane : lanes) best = lane > best ? lane : best;
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  return best;
}

}  // namespace qkv
