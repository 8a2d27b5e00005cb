// unbind_steps.cpp — slices along a dimension that share one gradient buffer (see unbind_steps.h).
#include "nn/rnn/unbind_steps.h"

#include <memory>

#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {

std::vector<Tensor> unbind_steps(const Tensor& x, int64_t dim) {
  check(x.defined() && x.dim() >= 1, "unbind_steps: needs a tensor with at least one dimension, got {}",
        x.defined() ? fmt::format("{}", x.shape()) : std::string("an undefined tensor"));
  const int64_t d = normalize_axis("unbind_steps", dim, x.dim());
  const int64_t n = x.size(d);
  std::vector<Tensor> slices;
  slices.reserve(static_cast<size_t>(n));
  if (!needs_grad(x)) {
    for (int64_t i = 0; i < n; ++i) slices.push_back(raw::select(x, d, i));
    return slices;
  }
  // dx, allocated by the first slice whose backward runs and handed on by the token's backward.
  auto buffer = std::make_shared<Tensor>();
  Tensor token = zeros({1}, x.dtype());
  record("unbind_steps", token, {x}, [buffer](const Tensor&) -> Grads {
    Tensor dx = std::move(*buffer);
    *buffer = Tensor();
    return {dx};
  });
  const Tensor no_token_grad = zeros({1}, x.dtype());  // the slices' gradient for the token
  for (int64_t i = 0; i < n; ++i) {
    Tensor slice = raw::select(x, d, i);
    record("unbind_steps", slice, {token},
           [buffer, no_token_grad, shape = x.shape(), dtype = x.dtype(), d, i](const Tensor& dy) -> Grads {
             if (!buffer->defined()) *buffer = zeros(shape, dtype);
             raw::copy_(raw::select(*buffer, d, i), dy);
             return {no_token_grad};
           });
    slices.push_back(std::move(slice));
  }
  return slices;
}

}  // namespace qkv
