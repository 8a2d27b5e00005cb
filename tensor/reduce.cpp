// reduce.cpp — sum, mean, var, logsumexp, max/min/argmax and softmax/log_softmax.
//
// Reductions over a set of axes walk the input once in memory order against an accumulator
// laid out like the output, whose strides are 0 on the reduced axes (walk_reduce). An inner
// row with accumulator stride 0 is a tight row reduction; otherwise it is a vectorisable
// "acc[i] += x[i]". Floating sums accumulate in double. Single-axis ops that need the position
// along the axis (argmax, softmax) instead visit one lane along the axis at a time.
#include "tensor/reduce.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tensor/fast_exp.h"
#include "tensor/iterate.h"
#include "tensor/lane_sum.h"

namespace qkv::raw {
namespace {

// Accumulator type: double for floating inputs, the input type for int64.
template <class T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, T>;

// What a reduction over a set of axes produces, and where each input element accumulates.
struct ReducePlan {
  Shape out_shape;    // reduced axes dropped, or kept with size 1 under keepdim
  Shape acc_strides;  // over the input's axes: the output's contiguous strides, 0 on reduced axes
  int64_t out_numel = 1;
  int64_t count = 1;  // input elements that reduce into each output element
};

ReducePlan plan_reduce(std::string_view op, const Tensor& x, const Axes& axes, bool keepdim) {
  check(x.defined(), "{}: the tensor is undefined", op);
  const int64_t rank = x.dim();
  std::array<bool, kMaxDims> reduced{};
  if (axes.empty()) reduced.fill(true);  // no axes: reduce them all
  for (int64_t a : axes) {
    const auto d = static_cast<size_t>(normalize_axis(op, a, rank));
    check(!reduced[d], "{}: axis {} appears twice in {} (tensor of shape {})", op, d, axes, x.shape());
    reduced[d] = true;
  }
  ReducePlan plan;
  plan.acc_strides = x.shape();
  int64_t running = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (reduced[static_cast<size_t>(d)]) {
      plan.count *= x.shape()[d];
      plan.acc_strides[d] = 0;
    } else {
      plan.acc_strides[d] = running;
      running *= std::max<int64_t>(x.shape()[d], 1);
    }
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[static_cast<size_t>(d)])
      plan.out_shape.push_back(x.shape()[d]);
    else if (keepdim)
      plan.out_shape.push_back(1);
  }
  plan.out_numel = plan.out_shape.numel();
  return plan;
}

// Reorders the dimensions so that the first operand's strides decrease: the innermost loop
// then walks the input's memory in order, whatever its layout (insertion sort, rank <= 8).
template <size_t N>
void sort_by_first_strides(Shape& shape, std::array<Shape, N>& strides) {
  for (int64_t i = 1; i < shape.size(); ++i) {
    for (int64_t j = i; j > 0 && strides[0][j - 1] < strides[0][j]; --j) {
      std::swap(shape[j - 1], shape[j]);
      for (auto& s : strides) std::swap(s[j - 1], s[j]);
    }
  }
}

// Calls row(x_offset, x_stride, acc_offset, acc_stride, n) for every innermost row of x.
template <class Row>
void walk_reduce(const Tensor& x, const Shape& acc_strides, Row&& row) {
  Shape shape = x.shape();
  std::array<Shape, 2> strides{x.strides(), acc_strides};
  sort_by_first_strides(shape, strides);
  strided_loop<2>(shape, strides, [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
    row(off[0], s[0], off[1], s[1], n);
  });
}

// Sum of g(x[i * sx]) for i < n. With unit stride, eight independent partial sums pipeline
// (and vectorise) where one running sum would wait on every add, and they round less too.
template <class Acc, class T, class G>
Acc row_sum(const T* x, int64_t sx, int64_t n, G&& g) {
  Acc total = 0;
  int64_t i = 0;
  if (sx == 1) {
    std::array<Acc, 8> part{};
    for (; i + 8 <= n; i += 8) {
      for (size_t k = 0; k < 8; ++k) part[k] += g(x[i + static_cast<int64_t>(k)]);
    }
    total = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    for (; i < n; ++i) total += g(x[i]);
    return total;
  }
  for (; i < n; ++i) total += g(x[i * sx]);
  return total;
}

// acc[k] += g(v, k) for every input element v that reduces into output element k.
template <class T, class Acc, class G>
void sum_into(const Tensor& x, const ReducePlan& plan, Acc* acc, G g) {
  const T* px = x.data<T>();
  walk_reduce(x, plan.acc_strides, [&](int64_t xo, int64_t sx, int64_t ao, int64_t sa, int64_t n) {
    const T* xr = px + xo;
    if (sa == 0) {
      acc[ao] += row_sum<Acc>(xr, sx, n, [&](T v) { return g(v, ao); });
    } else if (sx == 1 && sa == 1) {
      Acc* ar = acc + ao;
      for (int64_t i = 0; i < n; ++i) ar[i] += g(xr[i], ao + i);
    } else {
      for (int64_t i = 0; i < n; ++i) acc[ao + i * sa] += g(xr[i * sx], ao + i * sa);
    }
  });
}

// The larger (IsMax) or smaller of best and v; a NaN, once met, sticks (as in PyTorch).
// Bitwise | rather than || keeps it branch-free, so loops of it vectorise (compare + blend).
template <bool IsMax, class T>
T pick(T best, T v) {
  const bool better = IsMax ? v > best : v < best;
  return (better | (v != v)) ? v : best;
}

// Where a max (IsMax) or min starts: the identity of pick.
template <bool IsMax, class T>
T extreme_start() {
  if constexpr (std::is_floating_point_v<T>) {
    return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  } else {
    return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
}

// pick over x[i * sx] for i < n, starting from `best`. With unit stride the row runs as eight
// independent branch-free chains (a plain compare-select compiles to maxss/minss) and counts
// NaNs on the side, which is several times faster than the NaN-aware pick on random data.
template <bool IsMax, class T>
T row_extreme(const T* x, int64_t sx, int64_t n, T best) {
  int64_t i = 0;
  if (sx == 1 && n >= 16) {
    std::array<T, 8> part;
    part.fill(best);  // a NaN best stays NaN: NaN never compares better
    std::array<int64_t, 8> nans{};
    for (; i + 8 <= n; i += 8) {
      for (size_t k = 0; k < 8; ++k) {
        const T v = x[i + static_cast<int64_t>(k)];
        part[k] = (IsMax ? v > part[k] : v < part[k]) ? v : part[k];
        nans[k] += v != v;
      }
    }
    for (size_t k = 0; k < 8; ++k) {
      best = pick<IsMax>(best, part[k]);
      if constexpr (std::is_floating_point_v<T>) {
        if (nans[k] != 0) best = std::numeric_limits<T>::quiet_NaN();
      }
    }
    if (best != best) return best;
  }
  for (; i < n; ++i) best = pick<IsMax>(best, x[i * sx]);
  return best;
}

// acc[k] = pick(acc[k], v) for every input element v that reduces into output element k.
template <bool IsMax, class T>
void extreme_into(const Tensor& x, const ReducePlan& plan, T* acc) {
  const T* px = x.data<T>();
  walk_reduce(x, plan.acc_strides, [&](int64_t xo, int64_t sx, int64_t ao, int64_t sa, int64_t n) {
    const T* xr = px + xo;
    if (sa == 0) {
      acc[ao] = row_extreme<IsMax>(xr, sx, n, acc[ao]);
    } else if (sx == 1 && sa == 1) {
      T* ar = acc + ao;
      for (int64_t i = 0; i < n; ++i) ar[i] = pick<IsMax>(ar[i], xr[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) acc[ao + i * sa] = pick<IsMax>(acc[ao + i * sa], xr[i * sx]);
    }
  });
}

// A fresh output of the plan's shape with element k = value(k), converted to T.
template <class T, class Value>
Tensor store(const ReducePlan& plan, Value value) {
  Tensor out = Tensor::empty(plan.out_shape, dtype_of<T>);
  T* p = out.data<T>();
  for (int64_t k = 0; k < plan.out_numel; ++k) p[k] = static_cast<T>(value(k));
  return out;
}

// Max or min over one axis, or over everything when `axes` is empty.
template <bool IsMax>
Tensor extreme(std::string_view op, const Tensor& x, const Axes& axes, bool keepdim) {
  const ReducePlan plan = plan_reduce(op, x, axes, keepdim);
  if (axes.empty()) {
    check(x.numel() > 0, "{}: cannot reduce an empty tensor (shape {})", op, x.shape());
  } else if (x.dim() > 0) {
    const int64_t d = normalize_axis(op, axes[0], x.dim());
    check(x.shape()[d] > 0, "{}: cannot reduce dimension {} of size 0 (shape {})", op, d, x.shape());
  }
  return dispatch_numeric(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> acc(static_cast<size_t>(plan.out_numel), extreme_start<IsMax, T>());
    extreme_into<IsMax>(x, plan, acc.data());
    return store<T>(plan, [&](int64_t k) { return acc[static_cast<size_t>(k)]; });
  });
}

// ---- single-axis lanes -------------------------------------------------------------------

// A rank-0 tensor seen as shape [1], so that it has an axis to walk along.
Tensor with_an_axis(const Tensor& x) { return x.dim() == 0 ? x.as_strided({1}, {1}, x.offset()) : x; }

// Calls lane(x_offset, out_offset) for every position of the axes other than `axis`;
// out_strides are the output's strides over x's axes (the entry at `axis` is not used).
template <class Lane>
void for_each_lane(const Tensor& x, int64_t axis, Shape out_strides, Lane&& lane) {
  Shape shape = x.shape();
  Shape x_strides = x.strides();
  shape.erase(axis);
  x_strides.erase(axis);
  out_strides.erase(axis);
  strided_loop<2>(shape, {x_strides, out_strides},
                  [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
                    for (int64_t i = 0; i < n; ++i) lane(off[0] + i * s[0], off[1] + i * s[1]);
                  });
}

// Index of the first maximum of a lane of n > 0 elements; the first NaN wins, as in PyTorch.
template <class T>
int64_t lane_argmax(const T* x, int64_t sx, int64_t n) {
  T best = x[0];
  int64_t at = 0;
  if (best != best) return 0;
  for (int64_t i = 1; i < n; ++i) {
    const T v = x[i * sx];
    if (v != v) return i;
    if (v > best) {
      best = v;
      at = i;
    }
  }
  return at;
}

// softmax of one lane: exp(x - max) / sum. A lane that is all -inf (fully masked) gives zeros.
// exp is exp_of (float32: fast_exp, within 2 ulp) and the sum runs in 8 double lanes, so with
// unit strides (inlined by softmax_like) the loops vectorise.
template <class T>
void softmax_lane(const T* x, int64_t sx, T* o, int64_t so, int64_t n) {
  const T m = row_extreme<true>(x, sx, n, extreme_start<true, T>());
  if (m == -std::numeric_limits<T>::infinity()) {
    for (int64_t i = 0; i < n; ++i) o[i * so] = T(0);
    return;
  }
  for (int64_t i = 0; i < n; ++i) o[i * so] = exp_of(x[i * sx] - m);
  const T inv = static_cast<T>(1 / lane_sum(n, [&](int64_t i) { return o[i * so]; }));
  for (int64_t i = 0; i < n; ++i) o[i * so] *= inv;
}

// log_softmax of one lane: (x - max) - log(sum(exp(x - max))). All -inf gives all -inf.
template <class T>
void log_softmax_lane(const T* x, int64_t sx, T* o, int64_t so, int64_t n) {
  const T m = row_extreme<true>(x, sx, n, extreme_start<true, T>());
  if (m == -std::numeric_limits<T>::infinity()) {
    for (int64_t i = 0; i < n; ++i) o[i * so] = m;
    return;
  }
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += std::exp(x[i * sx] - m);
  const T log_total = static_cast<T>(std::log(total));
  for (int64_t i = 0; i < n; ++i) o[i * so] = (x[i * sx] - m) - log_total;
}

// Applies lane_fn(x, sx, out, so, n) to every lane of x along `axis`, into a tensor like x.
template <class LaneFn>
Tensor softmax_like(std::string_view op, const Tensor& x, int64_t axis, LaneFn lane_fn) {
  check(x.defined(), "{}: the tensor is undefined", op);
  const int64_t d = normalize_axis(op, axis, x.dim());
  return dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor v = with_an_axis(x);
    Tensor out = Tensor::empty(v.shape(), v.dtype());
    const T* px = v.data<T>();
    T* po = out.data<T>();
    const int64_t n = v.shape()[d];
    const int64_t sx = v.strides()[d];
    const int64_t so = out.strides()[d];
    for_each_lane(v, d, out.strides(), [&](int64_t xo, int64_t oo) {
      if (sx == 1 && so == 1)
        lane_fn(px + xo, int64_t{1}, po + oo, int64_t{1}, n);  // unit strides inlined
      else
        lane_fn(px + xo, sx, po + oo, so, n);
    });
    return x.dim() == 0 ? out.as_strided({}, {}, 0) : out;
  });
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  const ReducePlan plan = plan_reduce("sum", x, axes, keepdim);
  return dispatch_numeric("sum", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Acc = acc_t<T>;
    std::vector<Acc> acc(static_cast<size_t>(plan.out_numel), Acc(0));
    sum_into<T>(x, plan, acc.data(), [](T v, int64_t) { return static_cast<Acc>(v); });
    return store<T>(plan, [&](int64_t k) { return acc[static_cast<size_t>(k)]; });
  });
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  const ReducePlan plan = plan_reduce("mean", x, axes, keepdim);
  return dispatch_floating("mean", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<double> acc(static_cast<size_t>(plan.out_numel), 0.0);
    sum_into<T>(x, plan, acc.data(), [](T v, int64_t) { return static_cast<double>(v); });
    const auto count = static_cast<double>(plan.count);  // 0 gives NaN, as in PyTorch
    return store<T>(plan, [&](int64_t k) { return acc[static_cast<size_t>(k)] / count; });
  });
}

Tensor max(const Tensor& x, int64_t axis, bool keepdim) { return extreme<true>("max", x, Axes{axis}, keepdim); }
Tensor min(const Tensor& x, int64_t axis, bool keepdim) { return extreme<false>("min", x, Axes{axis}, keepdim); }
Tensor max(const Tensor& x) { return extreme<true>("max", x, Axes{}, false); }
Tensor min(const Tensor& x) { return extreme<false>("min", x, Axes{}, false); }

Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) {
  const ReducePlan plan = plan_reduce("argmax", x, Axes{axis}, keepdim);
  const int64_t d = normalize_axis("argmax", axis, x.dim());
  const Tensor v = with_an_axis(x);
  const int64_t n = v.shape()[d];
  check(n > 0, "argmax: cannot reduce dimension {} of size 0 (shape {})", d, x.shape());
  Tensor out = Tensor::empty(plan.out_shape, Dtype::int64);
  int64_t* po = out.data<int64_t>();
  // Output strides over v's axes: the plan's, or a single 0 for a rank-0 input.
  const Shape out_strides = x.dim() == 0 ? Shape{0} : plan.acc_strides;
  dispatch_numeric("argmax", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = v.data<T>();
    const int64_t sx = v.strides()[d];
    for_each_lane(v, d, out_strides, [&](int64_t xo, int64_t oo) { po[oo] = lane_argmax(px + xo, sx, n); });
  });
  return out;
}

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  const ReducePlan plan = plan_reduce("logsumexp", x, axes, keepdim);
  return dispatch_floating("logsumexp", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto n = static_cast<size_t>(plan.out_numel);
    std::vector<T> shift(n, extreme_start<true, T>());
    extreme_into<true>(x, plan, shift.data());
    // Subtract the max, except where it is infinite: an all -inf slice then sums exp(-inf) = 0
    // and gives log(0) = -inf rather than NaN from -inf - -inf; a +inf max gives +inf.
    for (T& m : shift) {
      if (std::isinf(m)) m = T(0);
    }
    std::vector<double> acc(n, 0.0);
    sum_into<T>(x, plan, acc.data(),
                [&](T v, int64_t k) { return static_cast<double>(std::exp(v - shift[static_cast<size_t>(k)])); });
    return store<T>(plan, [&](int64_t k) {
      const auto i = static_cast<size_t>(k);
      return static_cast<double>(shift[i]) + std::log(acc[i]);
    });
  });
}

Tensor var(const Tensor& x, const Axes& axes, int64_t correction, bool keepdim) {
  const ReducePlan plan = plan_reduce("var", x, axes, keepdim);
  return dispatch_floating("var", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    check(plan.count - correction > 0,
          "var: {} elements per output with correction {} leave no degrees of freedom (shape {}, axes {})", plan.count,
          correction, x.shape(), axes);
    const auto n = static_cast<size_t>(plan.out_numel);
    // Two passes (mean, then squared deviations) in double: no cancellation as in E[x²]-E[x]².
    std::vector<double> mean_acc(n, 0.0);
    sum_into<T>(x, plan, mean_acc.data(), [](T v, int64_t) { return static_cast<double>(v); });
    for (double& m : mean_acc) m /= static_cast<double>(plan.count);
    std::vector<double> acc(n, 0.0);
    sum_into<T>(x, plan, acc.data(), [&](T v, int64_t k) {
      const double dev = static_cast<double>(v) - mean_acc[static_cast<size_t>(k)];
      return dev * dev;
    });
    const auto dof = static_cast<double>(plan.count - correction);
    return store<T>(plan, [&](int64_t k) { return acc[static_cast<size_t>(k)] / dof; });
  });
}

Tensor softmax(const Tensor& x, int64_t axis) {
  return softmax_like("softmax", x, axis, [](const auto* in, int64_t sx, auto* out, int64_t so, int64_t n) {
    softmax_lane(in, sx, out, so, n);
  });
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  return softmax_like("log_softmax", x, axis, [](const auto* in, int64_t sx, auto* out, int64_t so, int64_t n) {
    log_softmax_lane(in, sx, out, so, n);
  });
}

}  // namespace qkv::raw
