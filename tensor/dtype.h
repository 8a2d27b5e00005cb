// dtype.h — element types and `dispatch`, which turns a runtime Dtype into a C++ type so one
// templated kernel serves all of them:
//
//   dispatch_numeric("exp", t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
//
// float32, float64 and int64 are numbers; bool_ (one byte per element) is for masks and
// comparison results and takes part only in copying, viewing, `where` and `masked_fill`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv {

enum class Dtype : uint8_t { float32, float64, int64, bool_ };

constexpr size_t itemsize(Dtype d) {
  switch (d) {
    case Dtype::float32: return 4;
    case Dtype::bool_: return 1;
    default: return 8;
  }
}
constexpr bool is_floating(Dtype d) { return d == Dtype::float32 || d == Dtype::float64; }
constexpr std::string_view dtype_name(Dtype d) {
  switch (d) {
    case Dtype::float32: return "float32";
    case Dtype::float64: return "float64";
    case Dtype::int64: return "int64";
    case Dtype::bool_: return "bool";
  }
  return "?";
}

template <class T>
struct DtypeOf;
template <>
struct DtypeOf<float> {
  static constexpr Dtype value = Dtype::float32;
};
template <>
struct DtypeOf<double> {
  static constexpr Dtype value = Dtype::float64;
};
template <>
struct DtypeOf<int64_t> {
  static constexpr Dtype value = Dtype::int64;
};
template <>
struct DtypeOf<bool> {
  static constexpr Dtype value = Dtype::bool_;
};
template <class T>
inline constexpr Dtype dtype_of = DtypeOf<T>::value;

// Calls f(T{}) for any dtype, bool included.
template <class F>
decltype(auto) dispatch_all(Dtype d, F&& f) {
  switch (d) {
    case Dtype::float32: return f(float{});
    case Dtype::float64: return f(double{});
    case Dtype::bool_: return f(bool{});
    case Dtype::int64: break;
  }
  return f(int64_t{});
}

// Calls f(T{}) for float32, float64 or int64; `op` names the caller if d is bool.
template <class F>
decltype(auto) dispatch_numeric(std::string_view op, Dtype d, F&& f) {
  check(d != Dtype::bool_, "{}: needs a numeric tensor, got bool", op);
  if (d == Dtype::float32) return f(float{});
  if (d == Dtype::float64) return f(double{});
  return f(int64_t{});
}

// Calls f(T{}) for float32 or float64; `op` names the caller otherwise.
template <class F>
decltype(auto) dispatch_floating(std::string_view op, Dtype d, F&& f) {
  check(is_floating(d), "{}: needs a floating-point tensor (float32 or float64), got {}", op, dtype_name(d));
  if (d == Dtype::float64) return f(double{});
  return f(float{});
}

}  // namespace qkv

template <>
struct fmt::formatter<qkv::Dtype> : fmt::formatter<std::string_view> {
  auto format(qkv::Dtype d, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(qkv::dtype_name(d), ctx);
  }
};
