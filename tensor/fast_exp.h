// fast_exp.h — exp for float32 that the compiler can vectorise: the hot loops of softmax-like
// kernels (cross_entropy's log-sum-exp and its backward) call it once per logit.
//
//   exp(x) = 2^k · exp(r),   k = round(x / ln 2),   r = x − k·ln 2 ∈ [−ln2/2, ln2/2]
//
// k·ln 2 is subtracted in two parts (Cody–Waite) so r keeps its precision, exp(r) is a degree-6
// polynomial (the Cephes expf coefficients), and 2^k is built directly in the exponent bits.
// Accuracy: within 2 ulp of std::exp on [−87.3, 88.7]. Outside it: below −87.3 the result is
// 0, above 88.7 it is +inf, and NaN stays NaN — the same as std::exp up to the subnormal range
// (where std::exp returns tiny non-zero values and this returns 0). Branch-free, so a loop of
// calls vectorises.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace qkv {

inline float fast_exp(float x) {
  constexpr float kMax = 88.7228317f;   // log(FLT_MAX)
  constexpr float kMin = -87.3365479f;  // log(FLT_MIN): 2^k stays a normal number
  const bool nan = x != x;
  const bool over = x > kMax;
  const bool under = x < kMin;
  const float xc = nan || over || under ? 0.0f : x;
  // round(xc / ln 2) by the add-and-subtract trick (exact for |k| < 2^22).
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23
  const float k = (xc * 1.44269504088896341f + kRound) - kRound;
  const float r = (xc - k * 0.693359375f) - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  // 2^k for k in [-126, 128]: k = 128 (x just below kMax) is 2^127 · 2, as 2^128 is not a float.
  const bool top = k > 127.0f;
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(top ? k - 1.0f : k) + 127) << 23;
  const float y = er * (top ? 2.0f : 1.0f) * std::bit_cast<float>(bits);
  return nan ? x : over ? std::numeric_limits<float>::infinity() : under ? 0.0f : y;
}

// exp(v) in T: fast_exp for float, std::exp for double (the precise path gradchecks use).
template <class T>
inline T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return fast_exp(v);
  } else {
    return std::exp(v);
  }
}

}  // namespace qkv
