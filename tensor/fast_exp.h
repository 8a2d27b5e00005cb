// fast_exp.h — exp for float32 that the compiler can vectorise: the hot loops of softmax-like
// kernels (softmax, cross_entropy's log-sum-exp and its backward, the fused attention's
// P = exp(S − m)) call it once per score.
//
//   exp(x) = 2^k · exp(r),   k = round(x / ln 2),   r = x − k·ln 2 ∈ [−ln2/2, ln2/2]
//
// k·ln 2 is subtracted in two parts (Cody–Waite) so r keeps its precision, exp(r) is a degree-6
// polynomial (the Cephes expf coefficients), and 2^k is applied by adding k to the exponent bits.
// Accuracy: within 2 ulp of std::exp on [kMin, kMax] = [−126·ln 2, log FLT_MAX] ≈ [−87.34, 88.72].
// Outside it: below kMin the result is 0 (so exp(−inf) = 0 exactly, and a masked score gets
// weight 0), above kMax it is +inf, and NaN stays NaN — the same as std::exp up to the subnormal
// range (where std::exp returns tiny non-zero values and this returns 0). Branch-free, so a loop
// of calls vectorises.
//
// One implementation, two shapes: fast_exp(float) for loops the compiler vectorises itself, and
// fast_exp_lanes(v) on a FloatLanes vector (16 floats, GCC's vector extension) for kernels that
// keep their running sums in registers. Every lane gets exactly fast_exp of that lane.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace qkv {

// 16 float32 lanes in one 64-byte vector (one AVX-512 register; two AVX2 registers).
typedef float FloatLanes __attribute__((vector_size(64)));

namespace fast_exp_detail {

typedef int32_t IntLanes __attribute__((vector_size(64)));
typedef uint32_t UintLanes __attribute__((vector_size(64)));

// The range where the result is a normal float: from 2^−126 (the smallest float x with
// x >= −126·ln 2, so 2^k·exp(r) never needs a subnormal) to FLT_MAX.
constexpr float kMin = -87.3365402f;
constexpr float kMax = 88.7228317f;  // log(FLT_MAX)

// F is float or FloatLanes; the same operations on both.
template <class F>
inline F exp_body(F x) {
  // Clamp into [kMin, kMax] (NaN goes to kMin) so the arithmetic below stays finite and k fits
  // an int; the last line puts the out-of-range results back.
  F xc = x > kMin ? x : F{} + kMin;
  xc = xc < kMax ? xc : F{} + kMax;
  // k = round(xc / ln 2) by the add-and-subtract trick (exact for |k| < 2^22).
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23
  const F k = (xc * 1.44269504088896341f + kRound) - kRound;
  const F r = (xc - k * 0.693359375f) - k * -2.12194440e-4f;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const F er = p * r * r + r + 1.0f;  // exp(r) in [0.70, 1.42]
  // er · 2^k, k in [−126, 128], by adding k to the exponent field: exact, because the result is
  // a normal float (k = −126 only with r >= 0, so er >= 1; k = 128 only with r < 0, so er < 1).
  F y;
  if constexpr (std::is_same_v<F, float>) {
    const uint32_t shift = static_cast<uint32_t>(static_cast<int32_t>(k)) << 23;
    y = std::bit_cast<float>(std::bit_cast<uint32_t>(er) + shift);
  } else {
    const UintLanes shift = __builtin_convertvector(__builtin_convertvector(k, IntLanes), UintLanes) << 23;
    y = std::bit_cast<F>(std::bit_cast<UintLanes>(er) + shift);
  }
  // Below kMin: 0. Above kMax: x + inf = +inf. NaN: x + inf = NaN.
  return x < kMin ? F{} : (x <= kMax ? y : x + std::numeric_limits<float>::infinity());
}

}  // namespace fast_exp_detail

inline float fast_exp(float x) { return fast_exp_detail::exp_body(x); }

inline FloatLanes fast_exp_lanes(FloatLanes x) { return fast_exp_detail::exp_body(x); }

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
