// losses_and_dropout.cpp — mse_loss and dropout, composed from differentiable ops.
#include "autograd/ops/elementwise.h"
#include "nn/functional.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"

namespace qkv {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check(input.shape() == target.shape(), "mse_loss: input {} and target {} must have the same shape", input.shape(),
        target.shape());
  const Tensor diff = input - target;
  const Tensor squared = diff * diff;
  switch (reduction) {
    case Reduction::none: return squared;
    case Reduction::sum: return sum(squared);
    case Reduction::mean: break;
  }
  return mean(squared);
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p <= 1, "dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  // keep ~ Bernoulli(1-p), scaled so the expectation is unchanged.
  const Tensor mask = raw::mul(bernoulli(x.shape(), 1 - p, gen, x.dtype()), 1.0 / (1 - p));
  return x * mask;
}

}  // namespace qkv
