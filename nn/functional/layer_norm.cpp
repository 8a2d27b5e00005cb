// layer_norm.cpp — fused LayerNorm over the last dimension: forward and backward loops.
#include <cmath>

#include "autograd/record.h"
#include "nn/functional.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Forward over rows of a contiguous (N, D) x: y, and per row the mean and 1/std kept for backward.
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t n, int64_t d,
                        double eps) {
  for (int64_t r = 0; r < n; ++r) {
    const T* xr = x + r * d;
    double sum = 0;
    for (int64_t i = 0; i < d; ++i) sum += xr[i];
    const double mu = sum / static_cast<double>(d);
    double sq = 0;
    for (int64_t i = 0; i < d; ++i) sq += (xr[i] - mu) * (xr[i] - mu);
    const double rs = 1.0 / std::sqrt(sq / static_cast<double>(d) + eps);  // biased variance, as torch
    mean[r] = static_cast<T>(mu);
    rstd[r] = static_cast<T>(rs);
    T* yr = y + r * d;
    for (int64_t i = 0; i < d; ++i) {
      const T xhat = static_cast<T>((xr[i] - mu) * rs);
      yr[i] = xhat * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
    }
  }
}

// Backward: dx per row; dw and db accumulated over rows (when requested).
template <class T>
void layer_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx, T* dw, T* db,
                         int64_t n, int64_t d) {
  for (int64_t r = 0; r < n; ++r) {
    const T* dyr = dy + r * d;
    const T* xr = x + r * d;
    const T mu = mean[r];
    const T rs = rstd[r];
    // g = dy·w;  dx = rs·(g - mean(g) - x̂·mean(g·x̂))
    double g_mean = 0;
    double gx_mean = 0;
    for (int64_t i = 0; i < d; ++i) {
      const T xhat = (xr[i] - mu) * rs;
      const T g = dyr[i] * (w ? w[i] : T(1));
      g_mean += g;
      gx_mean += g * xhat;
      if (dw) dw[i] += dyr[i] * xhat;
      if (db) db[i] += dyr[i];
    }
    g_mean /= static_cast<double>(d);
    gx_mean /= static_cast<double>(d);
    T* dxr = dx + r * d;
    for (int64_t i = 0; i < d; ++i) {
      const T xhat = (xr[i] - mu) * rs;
      const T g = dyr[i] * (w ? w[i] : T(1));
      dxr[i] = rs * (g - static_cast<T>(g_mean) - xhat * static_cast<T>(gx_mean));
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
          "layer_norm: weight and bias must be ({}) {} to match input {} {}, got {} {}", d, x_in.dtype(),
          x_in.shape(), x_in.dtype(), p->shape(), p->dtype());
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
               layer_norm_backward<T>(dy.data<T>(), xs.data<T>(), data_or_null<T>(ws), mean.data<T>(),
                                      rstd.data<T>(), dx.data<T>(), need_w ? dw.data<T>() : nullptr,
                                      need_b ? db.data<T>() : nullptr, n, d);
             });
             return {dx, dw, db};
           });
  }
  return y;
}

}  // namespace qkv
