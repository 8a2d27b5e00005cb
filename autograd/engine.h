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

#include <string_view>

#include "tensor/tensor.h"

namespace qkv {

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph);

// Sums the broadcast dimensions of `grad` away so it has `shape`; throws naming `op` if the
// shapes are not broadcast-compatible.
Tensor reduce_to_shape(std::string_view op, const Tensor& grad, const Shape& shape);

}  // namespace qkv
