// elementwise.cpp — elementwise kernels: unary math, broadcasting binary ops, comparisons,
// where / masked_fill, dtype conversion and the in-place writes.
//
// Every op is a small lambda handed to one of the map_* loops below. Each loop has a flat fast
// path for contiguous operands of one shape and otherwise walks rows with strided_loop, whose
// inner loop has constant strides (with unit-stride and broadcast-scalar special cases), so
// g++ -O3 vectorises the arithmetic.
#include "tensor/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>
#include <type_traits>

#include "tensor/fast_tanh.h"
#include "tensor/iterate.h"

namespace qkv::raw {
namespace {

// ---- scalar helpers ----------------------------------------------------------------------

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
int64_t int_pow(int64_t base, int64_t exponent) {
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

// ---- argument checks ---------------------------------------------------------------------

void check_defined(std::string_view op, const Tensor& t) { check(t.defined(), "{}: the tensor is undefined", op); }

void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  check(a.dtype() == b.dtype(), "{}: dtypes differ: {} and {} (shapes {} and {}); convert with to_dtype first", op,
        a.dtype(), b.dtype(), a.shape(), b.shape());
}

void check_bool(std::string_view op, const Tensor& t, std::string_view what) {
  check_defined(op, t);
  check(t.dtype() == Dtype::bool_, "{}: {} must be a bool tensor, got {} (shape {})", op, what, t.dtype(), t.shape());
}

// `from` must broadcast to exactly `to` (the operand may not enlarge the destination);
// `what` and `onto` name the two in the message, e.g. "the mask" and "the input".
void check_broadcasts_to(std::string_view op, std::string_view what, const Shape& from, std::string_view onto,
                         const Shape& to) {
  const Shape joint = broadcast_shapes(op, to, from);
  check(joint == to, "{}: {} of shape {} cannot be broadcast to {} of shape {}", op, what, from, onto, to);
}

// An in-place destination must not have several elements on one memory location (expand).
void check_writable(std::string_view op, const Tensor& dst) {
  for (int64_t d = 0; d < dst.dim(); ++d) {
    check(dst.strides()[d] != 0 || dst.shape()[d] <= 1,
          "{}: cannot write in place into a broadcast (expanded) tensor of shape {} and strides {}", op, dst.shape(),
          dst.strides());
  }
}

// A source that shares storage with the destination but is not the very same view is read
// from a copy, so the write cannot clobber elements still to be read.
Tensor unaliased_source(const Tensor& dst, const Tensor& src) {
  const bool same_view = src.offset() == dst.offset() && src.strides() == dst.strides() && src.shape() == dst.shape();
  if (src.storage() == dst.storage() && !same_view) return src.clone();
  return src;
}

// ---- loops -------------------------------------------------------------------------------

// True if pred(x) holds for some element of t.
template <class T, class Pred>
bool any_element(const Tensor& t, Pred pred) {
  const T* p = t.data<T>();
  bool found = false;
  strided_loop<1>(t.shape(), {t.strides()},
                  [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& in) {
                    for (int64_t i = 0; i < n; ++i) found = found || pred(p[off[0] + i * in[0]]);
                  });
  return found;
}

// A fresh contiguous tensor with out[i] = f(x[i]).
template <class In, class Out, class F>
Tensor map_unary(const Tensor& x, Dtype out_dtype, F f) {
  Tensor out = Tensor::empty(x.shape(), out_dtype);
  Out* po = out.data<Out>();
  const In* px = x.data<In>();
  if (x.is_contiguous()) {
    parallel_range(x.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) po[i] = f(px[i]);
    });
    return out;
  }
  parallel_strided_loop<2>(x.shape(), {out.strides(), x.strides()},
                           [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
                             Out* o = po + off[0];
                             const In* a = px + off[1];
                             if (s[0] == 1 && s[1] == 1) {
                               for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
                             } else {
                               for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]]);
                             }
                           });
  return out;
}

// One row of a binary op; the unit-stride and broadcast-scalar cases get their own loops.
template <class Out, class A, class B, class F>
void binary_row(Out* o, const A* a, const B* b, int64_t n, const std::array<int64_t, 3>& s, F& f) {
  if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
  }
}

// A fresh contiguous tensor of the broadcast shape with out[i] = f(a[i], b[i]).
template <class A, class B, class Out, class F>
Tensor map_binary(std::string_view op, const Tensor& a, const Tensor& b, Dtype out_dtype, F f) {
  const bool same_shape = a.shape() == b.shape();
  const Shape shape = same_shape ? a.shape() : broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, out_dtype);
  Out* po = out.data<Out>();
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  if (same_shape && a.is_contiguous() && b.is_contiguous()) {
    parallel_range(out.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  parallel_strided_loop<3>(shape, {out.strides(), broadcast_strides(a, shape), broadcast_strides(b, shape)},
                           [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                             binary_row(po + off[0], pa + off[1], pb + off[2], n, s, f);
                           });
  return out;
}

// A fresh contiguous tensor of the broadcast shape with out[i] = f(c[i], a[i], b[i]).
template <class C, class T, class F>
Tensor map_ternary(std::string_view op, const Tensor& c, const Tensor& a, const Tensor& b, F f) {
  const Shape shape = broadcast_shapes(op, broadcast_shapes(op, c.shape(), a.shape()), b.shape());
  Tensor out = Tensor::empty(shape, a.dtype());
  T* po = out.data<T>();
  const C* pc = c.data<C>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  parallel_strided_loop<4>(
      shape, {out.strides(), broadcast_strides(c, shape), broadcast_strides(a, shape), broadcast_strides(b, shape)},
      [&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& s) {
        T* o = po + off[0];
        const C* cr = pc + off[1];
        const T* ar = pa + off[2];
        const T* br = pb + off[3];
        if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(cr[i], ar[i], br[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(cr[i * s[1]], ar[i * s[2]], br[i * s[3]]);
        }
      });
  return out;
}

// In place: dst[i] = f(dst[i]).
template <class T, class F>
void update(const Tensor& dst, F f) {
  T* pd = dst.data<T>();
  if (dst.is_contiguous()) {
    parallel_range(dst.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) pd[i] = f(pd[i]);
    });
    return;
  }
  parallel_strided_loop<1>(dst.shape(), {dst.strides()},
                           [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& s) {
                             T* d = pd + off[0];
                             if (s[0] == 1) {
                               for (int64_t i = 0; i < n; ++i) d[i] = f(d[i]);
                             } else {
                               for (int64_t i = 0; i < n; ++i) d[i * s[0]] = f(d[i * s[0]]);
                             }
                           });
}

// In place: every element of dst = v. Never reads dst, which may be uninitialised (factories).
template <class T>
void fill_with(const Tensor& dst, T v) {
  T* pd = dst.data<T>();
  if (dst.is_contiguous()) {
    parallel_range(dst.numel(), [&](int64_t begin, int64_t end) { std::fill(pd + begin, pd + end, v); });
    return;
  }
  parallel_strided_loop<1>(dst.shape(), {dst.strides()},
                           [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& s) {
                             T* d = pd + off[0];
                             for (int64_t i = 0; i < n; ++i) d[i * s[0]] = v;
                           });
}

// In place: f(dst[i], src[i]) with dst[i] passed by reference and src broadcast to dst's shape
// (already checked). f reads dst[i] only if it needs it: copy_ must not read uninitialised memory.
template <class D, class S, class F>
void update_with(const Tensor& dst, const Tensor& src, F f) {
  D* pd = dst.data<D>();
  const S* ps = src.data<S>();
  if (dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous()) {
    parallel_range(dst.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) f(pd[i], ps[i]);
    });
    return;
  }
  parallel_strided_loop<2>(dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())},
                           [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
                             D* d = pd + off[0];
                             const S* r = ps + off[1];
                             if (s[0] == 1 && s[1] == 1) {
                               for (int64_t i = 0; i < n; ++i) f(d[i], r[i]);
                             } else if (s[0] == 1 && s[1] == 0) {
                               const S rv = *r;
                               for (int64_t i = 0; i < n; ++i) f(d[i], rv);
                             } else {
                               for (int64_t i = 0; i < n; ++i) f(d[i * s[0]], r[i * s[1]]);
                             }
                           });
}

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
