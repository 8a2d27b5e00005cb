// activation_grad.cpp — elementwise kernels that exist for backward passes: sign and the
// derivative of GELU, fused with the incoming gradient.
#include <cmath>
#include <numbers>

#include "tensor/elementwise.h"
#include "tensor/iterate.h"

namespace qkv::raw {

Tensor sign(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_numeric("sign", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for_each_pair<T, T>(x, out, [](const T* s, T* d, int64_t n, int64_t ss, int64_t ds) {
      for (int64_t i = 0; i < n; ++i) d[i * ds] = static_cast<T>((s[i * ss] > 0) - (s[i * ss] < 0));
    });
  });
  return out;
}

Tensor gelu_backward(const Tensor& dy, const Tensor& x) {
  check(dy.shape() == x.shape() && dy.dtype() == x.dtype(),
        "gelu_backward: gradient {} {} and input {} {} must match", dy.shape(), dy.dtype(), x.shape(), x.dtype());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating("gelu_backward", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = dy.data<T>();
    const T* px = x.data<T>();
    T* po = out.data<T>();
    constexpr T kInvSqrt2 = static_cast<T>(1.0 / std::numbers::sqrt2);
    const T kInvSqrt2Pi = static_cast<T>(1.0 / std::sqrt(2.0 * std::numbers::pi));
    strided_loop<3>(x.shape(), {dy.strides(), x.strides(), out.strides()},
                    [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& in) {
                      for (int64_t i = 0; i < n; ++i) {
                        const T v = px[off[1] + i * in[1]];
                        const T cdf = T(0.5) * (T(1) + std::erf(v * kInvSqrt2));
                        const T pdf = kInvSqrt2Pi * std::exp(T(-0.5) * v * v);
                        po[off[2] + i * in[2]] = pg[off[0] + i * in[0]] * (cdf + v * pdf);
                      }
                    });
  });
  return out;
}

}  // namespace qkv::raw
