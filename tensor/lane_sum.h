// lane_sum.h — Σ term(i) over i in [0, n), accumulated in double, fast; and the same trick for
// a row's maximum (lane_max) and a dot product in T (lane_dot).
//
// A single running sum makes every addition wait for the previous one (about four cycles per
// element); eight independent running sums overlap, and the compiler turns them into vector
// additions. The result differs from the left-to-right sum only in double rounding (~1e-16
// relative). Used by the row reductions of layer_norm, cross_entropy and the fused attention.
//
//   const double total = lane_sum(n, [&](int64_t i) { return x[i]; });
//   const float largest = lane_max(n, x);   // -inf for n = 0; NaNs are passed over
//   const float dot = lane_dot(n, x, y);    // Σ x[i]·y[i], summed in T
#pragma once

#include <cstdint>
#include <cstring>
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

// max over x[0, n), in independent lanes (a single running max waits on every comparison):
// one 64-byte GCC vector, 16 float or 8 double lanes, so the loop is vector max instructions
// (g++ 12 leaves the same loop over a plain array of lanes scalar). The same value as the
// left-to-right max.
template <class T>
inline T lane_max(int64_t n, const T* x) {
  typedef T vec __attribute__((vector_size(64)));
  constexpr int64_t kLanes = sizeof(vec) / sizeof(T);
  constexpr T lowest = -std::numeric_limits<T>::infinity();
  const int64_t whole = n - n % kLanes;  // elements in whole vectors
  vec lanes = vec{} + lowest;
  for (int64_t i = 0; i < whole; i += kLanes) {
    vec v;
    std::memcpy(&v, x + i, sizeof v);
    lanes = v > lanes ? v : lanes;
  }
  T best = lowest;
  for (int64_t k = 0; k < kLanes; ++k) best = lanes[k] > best ? lanes[k] : best;
  for (int64_t i = whole; i < n; ++i) best = x[i] > best ? x[i] : best;
  return best;
}

// Σ x[i]·y[i] over [0, n), accumulated in T in one 64-byte vector (GCC's vector extension: 16
// float or 8 double lanes, summed in lane order at the end, then the tail left to right).
// Faster than lane_sum where double accumulation is not needed (the fused attention's
// D = rowsum(dO ∘ O)).
template <class T>
inline T lane_dot(int64_t n, const T* x, const T* y) {
  typedef T vec __attribute__((vector_size(64)));
  constexpr int64_t kLanes = sizeof(vec) / sizeof(T);
  vec acc = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    vec a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, y + i, sizeof b);
    acc += a * b;
  }
  T total = 0;
  for (int64_t lane = 0; lane < kLanes; ++lane) total += acc[lane];
  for (; i < n; ++i) total += x[i] * y[i];
  return total;
}

}  // namespace qkv
