// clip.cpp — the global gradient norm and clipping by it.
#include "optim/clip.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/elementwise.h"
#include "tensor/parallel.h"

namespace qkv {
namespace {

constexpr int64_t block_size = int64_t{1} << 16;

// Σ g² over one gradient, in double, as a sum of per-block partial sums taken in order.
double sum_of_squares(const Tensor& grad) {
  const Tensor g = grad.is_contiguous() ? grad : grad.clone();
  return dispatch_floating("clip_grad_norm_", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = g.data<T>();
    const int64_t n = g.numel();
    const int64_t blocks = (n + block_size - 1) / block_size;
    std::vector<double> partial(blocks, 0.0);
    parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        double s = 0;
        for (int64_t j = b * block_size; j < std::min(n, (b + 1) * block_size); ++j) {
          s += static_cast<double>(x[j]) * static_cast<double>(x[j]);
        }
        partial[b] = s;
      }
    });
    double total = 0;
    for (double s : partial) total += s;
    return total;
  });
}

}  // namespace

double grad_norm(const std::vector<Tensor>& params) {
  double total = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined()) total += sum_of_squares(g);
  }
  return std::sqrt(total);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, bool error_if_nonfinite) {
  check(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm_: max_norm must be finite and > 0, got {}", max_norm);
  const double norm = grad_norm(params);
  if (!std::isfinite(norm)) {
    if (!error_if_nonfinite) return norm;
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor g = params[i].defined() ? params[i].grad() : Tensor();
      if (g.defined() && !std::isfinite(sum_of_squares(g))) {
        throw Error(fmt::format(
            "clip_grad_norm_: the gradient norm is {} because the gradient of parameter {} (shape {}) is not "
            "finite; pass error_if_nonfinite = false to get the norm back and skip the step instead",
            norm, i, g.shape()));
      }
    }
    throw Error(fmt::format("clip_grad_norm_: the gradient norm is {}", norm));  // overflow of finite values
  }
  const double coefficient = max_norm / (norm + 1e-6);  // torch's clip_coef
  if (coefficient < 1) {
    NoGradGuard no_grad;
    for (const Tensor& p : params) {
      const Tensor g = p.defined() ? p.grad() : Tensor();
      if (g.defined()) raw::mul_(g, coefficient);  // g ← g · max_norm/(‖g‖ + 1e-6)
    }
  }
  return norm;
}

}  // namespace qkv
