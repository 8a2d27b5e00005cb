// engine.h — the backward pass: from an output back to every leaf that requires grad.
//
// 1. Walk the graph from the output's node (iteratively: decoder graphs are long) and count,
//    for each node, how many edges lead into it.
// 2. Visit nodes in reverse topological order (Kahn's algorithm): a node runs its backward
//    only when every path into it has delivered its gradient.
// 3. Each gradient is reduced to its input's shape (undoing broadcasting) and summed into the
//    producing node's pending gradient, or into the leaf's .grad — one shape-checked place.
// 4. Unless retain_graph, each node frees its backward function and saved tensors after use.
// The whole pass runs under NoGradGuard: backward formulas record nothing.
#pragma once

#include <functional>
#include <string_view>

#include "tensor/tensor.h"

namespace qkv {

struct AutogradMeta;

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph);

// While a LeafDoneHook lives, backward passes on this thread call it once for each leaf as
// soon as every path into that leaf has delivered (its .grad is final for this pass), so
// data-parallel training can start summing a gradient while backward is still running
// (train/gradient_buckets.h). Without one, backward does no extra work.
class LeafDoneHook {
 public:
  explicit LeafDoneHook(std::function<void(const AutogradMeta&)> on_leaf_done);
  ~LeafDoneHook();
  LeafDoneHook(const LeafDoneHook&) = delete;
  LeafDoneHook& operator=(const LeafDoneHook&) = delete;

 private:
  std::function<void(const AutogradMeta&)> previous_;
};

// Sums the broadcast dimensions of `grad` away so it has `shape`; throws naming `op` if the
// shapes are not broadcast-compatible.
Tensor reduce_to_shape(std::string_view op, const Tensor& grad, const Shape& shape);

}  // namespace qkv
