// linear.cpp — y = x·Wᵀ + b: forward and backward side by side.
//
// The leading dimensions of x fold into rows, so every call is one (M, K)·(K, N) product:
//   forward    y  (M, N) = b broadcast over rows, then += x·Wᵀ      (one GEMM, beta = 1)
//   backward   dx (M, K) = dy·W                                     (M, N)·(N, K)
//              dW (N, K) = dyᵀ·x                                    (N, M)·(M, K), W's layout
//              db (N)    = Σ over the M rows of dy                  column sums, in parallel
#include "autograd/ops/linear.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "autograd/ops/linear_kernels.h"
#include "autograd/record.h"
#include "tensor/matmul.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Σ over the rows of g (M, N, contiguous): db (N), summed in double.
Tensor column_sums(const Tensor& g) {
  const int64_t M = g.size(0), N = g.size(1);
  Tensor out = Tensor::empty({N}, g.dtype());
  dispatch_floating("linear", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<double> sums(static_cast<size_t>(N));
    linear_kernels::add_column_sums(g.data<T>(), M, N, sums.data());
    std::copy(sums.begin(), sums.end(), out.data<T>());
  });
  return out;
}

// y (M, N) = bias rows (or zeros) + x2 (M, K)·w (N, K; row stride ldw)ᵀ.
Tensor affine(const Tensor& x2, const Tensor& w, int64_t ldw, const Tensor& bias) {
  const int64_t M = x2.size(0), K = x2.size(1), N = w.size(0);
  Tensor y = Tensor::empty({M, N}, x2.dtype());
  dispatch_floating("linear", x2.dtype(), [&](auto tag) {
    using T = decltype(tag);
    linear_kernels::affine_into(x2.data<T>(), M, K, {w.data<T>(), ldw}, bias.defined() ? bias.data<T>() : nullptr, N,
                                y.data<T>());
  });
  return y;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check(x.defined() && weight.defined(), "linear: input and weight must be defined");
  check(weight.dim() == 2, "linear: weight must be (out_features, in_features), got {}", weight.shape());
  const int64_t N = weight.size(0), K = weight.size(1);
  check(x.dim() >= 1 && x.size(-1) == K, "linear: input {} must end in the weight's in_features {} (weight {})",
        x.shape(), K, weight.shape());
  check(!bias.defined() || (bias.dim() == 1 && bias.size(0) == N), "linear: bias must be ({}) for weight {}, got {}", N,
        weight.shape(), bias.shape());
  check(x.dtype() == weight.dtype() && (!bias.defined() || bias.dtype() == x.dtype()),
        "linear: input ({}), weight ({}) and bias ({}) must share a dtype", x.dtype(), weight.dtype(),
        bias.defined() ? dtype_name(bias.dtype()) : "none");
  int64_t M = 1;  // the rows: every dimension of x but the last
  for (int64_t d = 0; d + 1 < x.dim(); ++d) M *= x.size(d);
  check(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX, "linear: input {} with weight {} is too large for BLAS",
        x.shape(), weight.shape());
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = N;
  const Tensor x2 = raw::contiguous(raw::reshape(x, {M, K}));  // (M, K)
  // W as it is when its rows suit BLAS (a narrowed weight, say), else a contiguous copy.
  const bool rows_ok = (K <= 1 || weight.strides()[1] == 1) && (N <= 1 || weight.strides()[0] >= K);
  const Tensor w = rows_ok ? weight : raw::contiguous(weight);  // (N, K)
  const int64_t ldw = N > 1 ? w.strides()[0] : std::max<int64_t>(K, 1);
  const Tensor b = bias.defined() ? raw::contiguous(bias) : Tensor();
  Tensor y = raw::reshape(affine(x2, w, ldw, b), out_shape);  // (..., N)

  if (needs_grad(x, weight, bias)) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    record("linear", y, {x, weight, bias},
           [sx = save("linear", need_w ? x2 : Tensor()), sw = save("linear", need_x ? w : Tensor()), need_x, need_w,
            need_b, x_shape = x.shape(), M, N](const Tensor& dy) -> Grads {
             const Tensor g = raw::contiguous(raw::reshape(dy, {M, N}));  // (M, N)
             Tensor dx, dw, db;
             if (need_x) dx = raw::reshape(raw::matmul(g, sw.get()), x_shape);  // (M, N)·(N, K)
             if (need_w) dw = raw::matmul(raw::transpose(g, 0, 1), sx.get());   // (N, M)·(M, K)
             if (need_b) db = column_sums(g);                                   // (N)
             return {dx, dw, db};
           });
  }
  return y;
}

}  // namespace qkv
