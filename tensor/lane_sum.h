// lane_sum.h — Σ term(i) over i in [0, n), accumulated in double, fast.
//
// A single running sum makes every addition wait for the previous one (about four cycles per
// element); eight independent running sums overlap, and the compiler turns them into vector
// additions. The result differs from the left-to-right sum only in double rounding (~1e-16
// relative). Used by the row reductions of layer_norm and cross_entropy.
//
//   const double total = lane_sum(n, [&](int64_t i) { return x[i]; });
#pragma once

#include <cstdint>

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

}  // namespace qkv
