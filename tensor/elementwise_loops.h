// elementwise_loops.h — the loops every elementwise op runs on (tensor/elementwise.cpp hands
// each one a small lambda), and the argument checks they share. Each loop has a flat fast path
// for contiguous operands of one shape and otherwise walks rows with strided_loop (iterate.h),
// whose inner loop has constant strides (with unit-stride and broadcast-scalar special cases), so
// g++ -O3 vectorises the arithmetic. Read iterate.h first, then this, then elementwise.cpp.
#pragma once

#include <array>
#include <string_view>

#include "tensor/error.h"
#include "tensor/iterate.h"
#include "tensor/tensor.h"

namespace qkv::raw::elementwise_detail {

// ---- argument checks ---------------------------------------------------------------------

inline void check_defined(std::string_view op, const Tensor& t) {
  check(t.defined(), "{}: the tensor is undefined", op);
}

inline void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  check(a.dtype() == b.dtype(), "{}: dtypes differ: {} and {} (shapes {} and {}); convert with to_dtype first", op,
        a.dtype(), b.dtype(), a.shape(), b.shape());
}

inline void check_bool(std::string_view op, const Tensor& t, std::string_view what) {
  check_defined(op, t);
  check(t.dtype() == Dtype::bool_, "{}: {} must be a bool tensor, got {} (shape {})", op, what, t.dtype(), t.shape());
}

// `from` must broadcast to exactly `to` (the operand may not enlarge the destination);
// `what` and `onto` name the two in the message, e.g. "the mask" and "the input".
inline void check_broadcasts_to(std::string_view op, std::string_view what, const Shape& from, std::string_view onto,
                                const Shape& to) {
  const Shape joint = broadcast_shapes(op, to, from);
  check(joint == to, "{}: {} of shape {} cannot be broadcast to {} of shape {}", op, what, from, onto, to);
}

// An in-place destination must not have several elements on one memory location (expand).
inline void check_writable(std::string_view op, const Tensor& dst) {
  for (int64_t d = 0; d < dst.dim(); ++d) {
    check(dst.strides()[d] != 0 || dst.shape()[d] <= 1,
          "{}: cannot write in place into a broadcast (expanded) tensor of shape {} and strides {}", op, dst.shape(),
          dst.strides());
  }
}

// A source that shares storage with the destination but is not the very same view is read
// from a copy, so the write cannot clobber elements still to be read.
inline Tensor unaliased_source(const Tensor& dst, const Tensor& src) {
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

}  // namespace qkv::raw::elementwise_detail
