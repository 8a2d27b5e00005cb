// layer_norm.cpp — fused LayerNorm over the last dimension: forward and backward loops, rows
// split across qkv's threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/record.h"
#include "nn/functional.h"
#include "tensor/factories.h"
#include "tensor/grain.h"
#include "tensor/lane_sum.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Rows per parallel piece: about grain::kElementwise elements.
int64_t rows_per_piece(int64_t d) { return grain::rows_per_task(grain::kElementwise, d); }

// One row r of the forward over a contiguous (N, D) x: y, and the row's mean and 1/std kept
// for backward.
template <class T>
void layer_norm_row(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t r, int64_t d, double eps) {
  const T* xr = x + r * d;
  const double mu = lane_sum(d, [&](int64_t i) { return xr[i]; }) / static_cast<double>(d);
  const double sq = lane_sum(d, [&](int64_t i) { return (xr[i] - mu) * (xr[i] - mu); });
  const double rs = 1.0 / std::sqrt(sq / static_cast<double>(d) + eps);  // biased variance, as torch
  mean[r] = static_cast<T>(mu);
  rstd[r] = static_cast<T>(rs);
  T* yr = y + r * d;
  for (int64_t i = 0; i < d; ++i) {
    const T xhat = static_cast<T>((xr[i] - mu) * rs);
    yr[i] = xhat * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
  }
}

// Forward over all rows, split across qkv's threads.
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t n, int64_t d, double eps) {
  parallel_for(n, rows_per_piece(d), [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) layer_norm_row(x, w, b, y, mean, rstd, r, d, eps);
  });
}

// Backward of rows [first, last): dx per row, and dw, db (when requested) summed over these rows.
template <class T>
void layer_norm_backward_rows(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw, T* db,
                              int64_t first, int64_t last, int64_t d) {
  for (int64_t r = first; r < last; ++r) {
    const T* dyr = dy + r * d;
    const T* xr = x + r * d;
    const T mu = mean[r];
    const T rs = rstd[r];
    // g = dy·w;  dx = rs·(g - mean(g) - x̂·mean(g·x̂))
    const double g_mean = lane_sum(d, [&](int64_t i) { return dyr[i] * (w ? w[i] : T(1)); }) / static_cast<double>(d);
    const double gx_mean = lane_sum(d, [&](int64_t i) { return dyr[i] * (w ? w[i] : T(1)) * ((xr[i] - mu) * rs); }) /
                           static_cast<double>(d);
    if (dw) {
      for (int64_t i = 0; i < d; ++i) dw[i] += dyr[i] * ((xr[i] - mu) * rs);
    }
    if (db) {
      for (int64_t i = 0; i < d; ++i) db[i] += dyr[i];
    }
    T* dxr = dx + r * d;
    for (int64_t i = 0; i < d; ++i) {
      const T xhat = (xr[i] - mu) * rs;
      const T g = dyr[i] * (w ? w[i] : T(1));
      dxr[i] = rs * (g - static_cast<T>(g_mean) - xhat * static_cast<T>(gx_mean));
    }
  }
}

// Backward over all rows in blocks of kBackwardRows, split across qkv's threads. Each block sums
// its own dw, db; the blocks' sums are then added in block order, so the result does not
// depend on the number of threads.
constexpr int64_t kBackwardRows = 64;

template <class T>
void layer_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw, T* db,
                         int64_t n, int64_t d) {
  const int64_t blocks = (n + kBackwardRows - 1) / kBackwardRows;
  std::vector<T> partial_w(dw ? static_cast<size_t>(blocks * d) : 0, T(0));
  std::vector<T> partial_b(db ? static_cast<size_t>(blocks * d) : 0, T(0));
  parallel_for(blocks, std::max<int64_t>(1, rows_per_piece(d) / kBackwardRows), [&](int64_t first, int64_t last) {
    for (int64_t k = first; k < last; ++k) {
      layer_norm_backward_rows(dy, x, w, mean, rstd, dx, dw ? partial_w.data() + k * d : nullptr,
                               db ? partial_b.data() + k * d : nullptr, k * kBackwardRows,
                               std::min(n, (k + 1) * kBackwardRows), d);
    }
  });
  for (int64_t k = 0; k < blocks; ++k) {
    for (int64_t i = 0; i < d; ++i) {
      if (dw) dw[i] += partial_w[static_cast<size_t>(k * d + i)];
      if (db) db[i] += partial_b[static_cast<size_t>(k * d + i)];
    }
  }
}

template <class T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

Tensor layer_norm(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in, double eps) {
  check(x_in.dim() >= 1, "layer_norm: needs at least one dimension, got shape {}", x_in.shape());
  const int64_t d = x_in.size(-1);
  for (const Tensor* p : {&weight_in, &bias_in}) {
    check(!p->defined() || (p->shape() == Shape{d} && p->dtype() == x_in.dtype()),
          "layer_norm: weight and bias must be ({}) {} to match input {} {}, got {} {}", d, x_in.dtype(), x_in.shape(),
          x_in.dtype(), p->shape(), p->dtype());
  }
  check(eps >= 0, "layer_norm: eps {} is negative", eps);
  const Tensor x = raw::contiguous(x_in);
  const Tensor weight = weight_in.defined() ? raw::contiguous(weight_in) : Tensor();
  const Tensor bias = bias_in.defined() ? raw::contiguous(bias_in) : Tensor();
  const int64_t n = d == 0 ? 0 : x.numel() / d;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = Tensor::empty({n}, x.dtype());
  Tensor rstd = Tensor::empty({n}, x.dtype());
  dispatch_floating("layer_norm", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    layer_norm_forward<T>(x.data<T>(), data_or_null<T>(weight), data_or_null<T>(bias), y.data<T>(), mean.data<T>(),
                          rstd.data<T>(), n, d, eps);
  });
  if (needs_grad(x_in, weight_in, bias_in)) {
    const bool need_w = weight_in.defined() && weight_in.requires_grad();
    const bool need_b = bias_in.defined() && bias_in.requires_grad();
    record("layer_norm", y, {x_in, weight_in, bias_in},
           [sx = save("layer_norm", x), sw = save("layer_norm", weight), mean, rstd, n, d, need_w,
            need_b](const Tensor& dy_in) -> Grads {
             const Tensor dy = raw::contiguous(dy_in);
             const Tensor& xs = sx.get();
             const Tensor& ws = sw.get();
             Tensor dx = Tensor::empty(xs.shape(), xs.dtype());
             Tensor dw = need_w ? zeros({d}, xs.dtype()) : Tensor();
             Tensor db = need_b ? zeros({d}, xs.dtype()) : Tensor();
             dispatch_floating("layer_norm", xs.dtype(), [&](auto tag) {
               using T = decltype(tag);
               layer_norm_backward<T>(dy.data<T>(), xs.data<T>(), data_or_null<T>(ws), mean.data<T>(), rstd.data<T>(),
                                      dx.data<T>(), need_w ? dw.data<T>() : nullptr, need_b ? db.data<T>() : nullptr, n,
                                      d);
             });
             return {dx, dw, db};
           });
  }
  return y;
}

}  // namespace qkv
