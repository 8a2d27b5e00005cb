// fast_tanh.h — tanh for float32 that the compiler can vectorise, for the elementwise tanh op
// (GRU and LSTM cells, additive attention's tanh(W_q q + W_k k)). glibc's tanhf is a scalar
// call of about 9 ns here; a loop of fast_tanh runs in vector registers.
//
//   |x| < 0.3:  tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835   (Taylor; the next term,
//               1382x¹¹/155925, is below 2·10⁻⁸ of x there)
//   otherwise:  tanh |x| = (1 − e)/(1 + e),  e = exp(−2|x|)  (fast_exp.h), sign restored
//
// Just above 0.3, 1 − e loses a few bits to cancellation; tests/tensor/fast_math_test.cpp holds
// the result within 4 ulp of the correctly rounded tanh over the floats it samples in [−20, 20]
// (the worst it finds is 2).
// ±0 keeps its sign, the result is exactly ±1 from |x| ≈ 9 on and at ±inf, and NaN stays NaN.
// Both branches are computed and one selected, so no branch stops vectorisation.
#pragma once

#include <cmath>
#include <type_traits>

#include "tensor/fast_exp.h"

namespace qkv {

inline float fast_tanh(float x) {
  const float a = std::fabs(x);
  const float x2 = x * x;
  float p = 62.0f / 2835.0f;
  p = p * x2 - 17.0f / 315.0f;
  p = p * x2 + 2.0f / 15.0f;
  p = p * x2 - 1.0f / 3.0f;
  const float small = x * (1.0f + x2 * p);  // not x + x·x2·p, which would turn −0 into +0
  const float e = fast_exp(-2.0f * a);
  const float large = std::copysign((1.0f - e) / (1.0f + e), x);
  return a < 0.3f ? small : large;
}

// tanh(v) in T: fast_tanh for float, std::tanh for double (the precise path gradchecks use).
template <class T>
inline T tanh_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return fast_tanh(v);
  } else {
    return std::tanh(v);
  }
}

}  // namespace qkv
