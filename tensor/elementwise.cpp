// elementwise.cpp — elementwise kernels: unary math, broadcasting binary ops, comparisons,
// where / masked_fill, dtype conversion and the in-place writes.
//
// Every op is a small lambda handed to one of the map_* loops of elementwise_loops.h; what a
// single element computes where C++'s operator is not the answer (wrapping int64, NaN-propagating
// max) is in elementwise_scalar.h.
#include "tensor/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>
#include <type_traits>

#include "tensor/elementwise_loops.h"
#include "tensor/elementwise_scalar.h"
#include "tensor/fast_tanh.h"
#include "tensor/iterate.h"

namespace qkv::raw {
namespace {

using namespace elementwise_detail;

// ---- op families -------------------------------------------------------------------------

// A unary op on float32/float64/int64; make(T{}) returns the element function for type T.
template <class Make>
Tensor numeric_unary(std::string_view op, const Tensor& x, Make make) {
  check_defined(op, x);
  return dispatch_numeric(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T, T>(x, x.dtype(), make(tag));
  });
}

// A unary op on float32/float64 only.
template <class Make>
Tensor floating_unary(std::string_view op, const Tensor& x, Make make) {
  check_defined(op, x);
  return dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T, T>(x, x.dtype(), make(tag));
  });
}

// A broadcasting binary op on two numeric tensors of one dtype, giving that dtype.
template <class Make>
Tensor numeric_binary(std::string_view op, const Tensor& a, const Tensor& b, Make make) {
  check_same_dtype(op, a, b);
  return dispatch_numeric(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_binary<T, T, T>(op, a, b, a.dtype(), make(tag));
  });
}

// A broadcasting comparison giving bool_. eq and ne also accept bool tensors.
template <class Cmp>
Tensor compare(std::string_view op, const Tensor& a, const Tensor& b, Cmp cmp, bool allow_bool = false) {
  check_same_dtype(op, a, b);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    return map_binary<T, T, bool>(op, a, b, Dtype::bool_, [cmp](T x, T y) { return cmp(x, y); });
  };
  if (allow_bool) return dispatch_all(a.dtype(), run);
  return dispatch_numeric(op, a.dtype(), run);
}

// A broadcasting logical op on two bool tensors.
template <class F>
Tensor logical_binary(std::string_view op, const Tensor& a, const Tensor& b, F f) {
  check_bool(op, a, "the first operand");
  check_bool(op, b, "the second operand");
  return map_binary<bool, bool, bool>(op, a, b, Dtype::bool_, f);
}

}  // namespace

// ---- unary (numeric) ---------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  return numeric_unary("neg", x, [](auto tag) { return [](decltype(tag) v) { return wrap_neg(v); }; });
}

Tensor abs(const Tensor& x) {
  return numeric_unary("abs", x, [](auto tag) {
    using T = decltype(tag);
    return [](T v) {
      if constexpr (std::is_floating_point_v<T>)
        return std::abs(v);
      else
        return v < 0 ? wrap_neg(v) : v;
    };
  });
}

Tensor relu(const Tensor& x) {
  // v < 0 is false for NaN, so NaN passes through as in PyTorch.
  return numeric_unary("relu", x, [](auto tag) {
    using T = decltype(tag);
    return [](T v) { return v < T(0) ? T(0) : v; };
  });
}

// ---- unary (floating) --------------------------------------------------------------------

Tensor exp(const Tensor& x) {
  return floating_unary("exp", x, [](auto tag) { return [](decltype(tag) v) { return std::exp(v); }; });
}

Tensor log(const Tensor& x) {
  return floating_unary("log", x, [](auto tag) { return [](decltype(tag) v) { return std::log(v); }; });
}

Tensor sqrt(const Tensor& x) {
  return floating_unary("sqrt", x, [](auto tag) { return [](decltype(tag) v) { return std::sqrt(v); }; });
}

// float32 through fast_tanh (vectorises; within a few ulp), float64 through std::tanh.
Tensor tanh(const Tensor& x) {
  return floating_unary("tanh", x, [](auto tag) { return [](decltype(tag) v) { return tanh_of(v); }; });
}

Tensor sigmoid(const Tensor& x) {
  // With e = exp(-|v|) <= 1 nothing overflows: 1/(1+e) for v >= 0, e/(1+e) for v < 0.
  // float32 takes exp from fast_exp (vectorises), so below v = -87.3 it gives 0 where
  // std::exp would give a subnormal.
  return floating_unary("sigmoid", x, [](auto tag) {
    using T = decltype(tag);
    return [](T v) {
      const T e = exp_of(-std::abs(v));
      const T r = T(1) / (T(1) + e);
      return v >= T(0) ? r : e * r;
    };
  });
}

Tensor gelu(const Tensor& x) {
  return floating_unary("gelu", x, [](auto tag) {
    using T = decltype(tag);
    return [](T v) {
      constexpr T inv_sqrt2 = T(1) / std::numbers::sqrt2_v<T>;
      return T(0.5) * v * (T(1) + std::erf(v * inv_sqrt2));
    };
  });
}

Tensor pow(const Tensor& x, double exponent) {
  check_defined("pow", x);
  return dispatch_floating("pow", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // The common exponents avoid the (slow, unvectorised) library pow.
    if (exponent == 1) return map_unary<T, T>(x, x.dtype(), [](T v) { return v; });
    if (exponent == 2) return map_unary<T, T>(x, x.dtype(), [](T v) { return v * v; });
    if (exponent == 0.5) return map_unary<T, T>(x, x.dtype(), [](T v) { return std::sqrt(v); });
    const T e = static_cast<T>(exponent);
    return map_unary<T, T>(x, x.dtype(), [e](T v) { return std::pow(v, e); });
  });
}

// ---- binary (numeric, broadcasting) ------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  return numeric_binary("add", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) { return wrap_add(x, y); };
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return numeric_binary("sub", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) { return wrap_sub(x, y); };
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return numeric_binary("mul", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) { return wrap_mul(x, y); };
  });
}

// Integer division truncates toward zero (C++ semantics); dividing by zero throws.
Tensor div(const Tensor& a, const Tensor& b) {
  check_same_dtype("div", a, b);
  if (a.dtype() == Dtype::int64) {
    check(!any_element<int64_t>(b, [](int64_t v) { return v == 0; }), "div: integer division by zero");
  }
  return numeric_binary("div", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) {
      if constexpr (std::is_integral_v<T>)
        return y == -1 ? wrap_neg(x) : x / y;  // INT64_MIN / -1 wraps
      else
        return x / y;
    };
  });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  check_same_dtype("pow", a, b);
  if (a.dtype() == Dtype::int64) {
    check(!any_element<int64_t>(b, [](int64_t v) { return v < 0; }),
          "pow: int64 tensors cannot be raised to negative powers");
  }
  return numeric_binary("pow", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) {
      if constexpr (std::is_integral_v<T>)
        return int_pow(x, y);
      else
        return std::pow(x, y);
    };
  });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return numeric_binary("maximum", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) { return nan_max(x, y); };
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return numeric_binary("minimum", a, b, [](auto tag) {
    using T = decltype(tag);
    return [](T x, T y) { return nan_min(x, y); };
  });
}

Tensor add(const Tensor& a, double b) {
  return numeric_unary("add", a, [b](auto tag) {
    using T = decltype(tag);
    const T bv = convert<T>(b);
    return [bv](T x) { return wrap_add(x, bv); };
  });
}

Tensor mul(const Tensor& a, double b) {
  return numeric_unary("mul", a, [b](auto tag) {
    using T = decltype(tag);
    const T bv = convert<T>(b);
    return [bv](T x) { return wrap_mul(x, bv); };
  });
}

// ---- comparisons -------------------------------------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) {
  return compare(
      "eq", a, b, [](auto x, auto y) { return x == y; }, true);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare(
      "ne", a, b, [](auto x, auto y) { return x != y; }, true);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare("lt", a, b, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare("le", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare("gt", a, b, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare("ge", a, b, [](auto x, auto y) { return x >= y; });
}

Tensor logical_not(const Tensor& mask) {
  check_bool("logical_not", mask, "the input");
  return map_unary<bool, bool>(mask, Dtype::bool_, [](bool v) { return !v; });
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return logical_binary("logical_and", a, b, [](bool x, bool y) { return x && y; });
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  return logical_binary("logical_or", a, b, [](bool x, bool y) { return x || y; });
}

// ---- selection ---------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_bool("where", cond, "the condition");
  check_same_dtype("where", a, b);
  return dispatch_all(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_ternary<bool, T>("where", cond, a, b, [](bool c, T x, T y) { return c ? x : y; });
  });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_defined("masked_fill", x);
  check_bool("masked_fill", mask, "the mask");
  check_broadcasts_to("masked_fill", "the mask", mask.shape(), "the input", x.shape());
  return dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = convert<T>(value);
    return map_binary<T, bool, T>("masked_fill", x, mask, x.dtype(), [v](T e, bool m) { return m ? v : e; });
  });
}

// ---- conversion and in-place writes ------------------------------------------------------

// Like torch's Tensor.to, returns x itself (no copy) when it already has `dtype`.
Tensor to_dtype(const Tensor& x, Dtype dtype) {
  check_defined("to_dtype", x);
  if (x.dtype() == dtype) return x;
  return dispatch_all(x.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    return dispatch_all(dtype, [&](auto to_tag) {
      using To = decltype(to_tag);
      return map_unary<From, To>(x, dtype, [](From v) { return convert<To>(v); });
    });
  });
}

void fill_(const Tensor& t, double value) {
  check_defined("fill_", t);
  dispatch_all(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    fill_with(t, convert<T>(value));
  });
  t.bump_version();
}

void copy_(const Tensor& dst, const Tensor& src) {
  check_defined("copy_", dst);
  check_defined("copy_", src);
  check_broadcasts_to("copy_", "the source", src.shape(), "the destination", dst.shape());
  check_writable("copy_", dst);
  const Tensor source = unaliased_source(dst, src);
  dispatch_all(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    dispatch_all(source.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      update_with<D, S>(dst, source, [](D& d, S v) { d = convert<D>(v); });
    });
  });
  dst.bump_version();
}

void add_(const Tensor& dst, const Tensor& src, double alpha) {
  check_same_dtype("add_", dst, src);
  check_broadcasts_to("add_", "the source", src.shape(), "the destination", dst.shape());
  check_writable("add_", dst);
  const Tensor source = unaliased_source(dst, src);
  dispatch_numeric("add_", dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (alpha == 1) {
      update_with<T, T>(dst, source, [](T& d, T s) { d = wrap_add(d, s); });
    } else {
      const T a = convert<T>(alpha);
      update_with<T, T>(dst, source, [a](T& d, T s) { d = wrap_add(d, wrap_mul(a, s)); });
    }
  });
  dst.bump_version();
}

void mul_(const Tensor& dst, double value) {
  check_defined("mul_", dst);
  check_writable("mul_", dst);
  dispatch_numeric("mul_", dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = convert<T>(value);
    update<T>(dst, [v](T d) { return wrap_mul(d, v); });
  });
  dst.bump_version();
}

}  // namespace qkv::raw
