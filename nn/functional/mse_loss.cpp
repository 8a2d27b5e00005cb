// mse_loss.cpp — mean squared error, composed from differentiable ops (its backward is theirs).
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "nn/functional.h"

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

}  // namespace qkv
