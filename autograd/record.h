// record.h — how an op joins the graph. Every differentiable op follows one pattern:
//
//   // exp: y = eˣ;  dx = dy·y
//   Tensor exp(const Tensor& x) {
//     Tensor y = raw::exp(x);                                     // forward, no autograd
//     if (needs_grad(x))
//       record("exp", y, {x}, [y = save("exp", y)](const Tensor& dy) -> Grads {
//         return {raw::mul(dy, y.get())};                         // backward, next to it
//       });
//     return y;
//   }
//
// The backward returns one gradient per input, of the gradient-of-output's broadcast shape or
// the input's shape: the engine reduces broadcast gradients to the input's shape (engine.cpp).
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/saved_tensor.h"

namespace qkv {

// True when grad mode is on and any of the tensors requires grad.
inline bool needs_grad(std::initializer_list<const Tensor*> tensors) {
  if (!grad_enabled()) return false;
  for (const Tensor* t : tensors) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}
template <class... Ts>
bool needs_grad(const Ts&... tensors) {
  return needs_grad({&tensors...});
}
bool needs_grad(const std::vector<Tensor>& tensors);

// Makes `output` the result of a node named `op` with the given inputs and backward function.
// `op` is a string literal listed in op_name.h; the node keeps it until backward.
void record(OpName op, Tensor& output, const std::vector<Tensor>& inputs, Node::Backward backward);
inline void record(OpName op, Tensor& output, std::initializer_list<Tensor> inputs, Node::Backward backward) {
  record(op, output, std::vector<Tensor>(inputs), std::move(backward));
}

// In anomaly mode: throws naming `op` if t holds a NaN or Inf (`where` says which tensor).
void check_finite(std::string_view op, std::string_view where, const Tensor& t);

// A tensor saved for backward (see saved_tensor.h).
inline SavedTensor save(OpName op, const Tensor& t) { return SavedTensor(op, t); }

}  // namespace qkv
