// elementwise_scalar.h — what one element of an elementwise op computes where C++'s own operator
// is not the answer: conversion between element types with every input defined, int64 arithmetic
// that wraps on overflow (as PyTorch's), integer powers, and max/min that propagate NaN. Used by
// tensor/elementwise.cpp only.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace qkv::raw::elementwise_detail {

// Converts one value between element types. Float to int64 is defined for every input:
// NaN and out-of-range values give INT64_MIN (what x86 and PyTorch give); to bool is "!= 0".
template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    const bool in_range = v >= From(-0x1p63) && v < From(0x1p63);
    return in_range ? static_cast<To>(v) : std::numeric_limits<To>::min();
  } else {
    return static_cast<To>(v);
  }
}

// int64 arithmetic wraps around on overflow (as in PyTorch) instead of being undefined.
template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return a + b;
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else
    return a - b;
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return a * b;
}
template <class T>
T wrap_neg(T a) {
  if constexpr (std::is_integral_v<T>)
    return wrap_sub(T(0), a);
  else
    return -a;  // keeps the sign of zero: neg(0.0) is -0.0
}

// a ** b for int64 by repeated squaring (wrapping); b >= 0 was checked by the caller.
inline int64_t int_pow(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
    exponent >>= 1;
  }
  return result;
}

// max/min that propagate NaN like torch.maximum/minimum: a is taken if it is NaN (a != a) or
// wins; a NaN b loses every comparison and is taken otherwise. Bitwise | keeps it branch-free.
template <class T>
T nan_max(T a, T b) {
  return ((a != a) | (a > b)) ? a : b;
}
template <class T>
T nan_min(T a, T b) {
  return ((a != a) | (a < b)) ? a : b;
}

}  // namespace qkv::raw::elementwise_detail
