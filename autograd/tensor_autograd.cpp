// tensor_autograd.cpp — the gradient-related members of Tensor (declared in tensor/tensor.h).
#include "autograd/engine.h"
#include "autograd/node.h"
#include "tensor/factories.h"

namespace qkv {

bool Tensor::requires_grad() const { return autograd_ && autograd_->requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  check(defined(), "requires_grad_: the tensor is undefined");
  if (autograd_ && autograd_->grad_fn) {
    check(on, "requires_grad_: cannot turn off gradients of a tensor computed by '{}'; use detach()",
          autograd_->grad_fn->name());
    return *this;
  }
  check(!on || is_floating(dtype_), "requires_grad_: only floating-point tensors can require grad, got {}", dtype_);
  if (!autograd_) autograd_ = std::make_shared<AutogradMeta>();
  autograd_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return autograd_ ? autograd_->grad : Tensor(); }

void Tensor::zero_grad() {
  if (autograd_) autograd_->grad = Tensor();
}

void Tensor::backward(bool retain_graph) const {
  check(defined(), "backward: the tensor is undefined");
  check(numel() == 1,
        "backward: without an explicit gradient the output must have one element, got shape {}; pass "
        "backward(grad_output)",
        shape_);
  run_backward(*this, ones(shape_, dtype_), retain_graph);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  run_backward(*this, grad_output, retain_graph);
}

Tensor Tensor::detach() const {
  Tensor out = *this;
  out.autograd_.reset();
  return out;
}

}  // namespace qkv
