// graphviz.h — the recorded graph of a computation as Graphviz DOT text, for learners:
//
//   std::cout << to_dot(loss);          // then: dot -Tsvg graph.dot -o graph.svg
//
// Ops are ellipses labelled with their name and output shape; leaves that require grad are
// boxes labelled with their shape (and a name, when one is given). Edges point from inputs
// to the op that consumed them, the direction the forward pass ran.
#pragma once

#include <map>
#include <string>

#include "tensor/tensor.h"

namespace qkv {

// `names` optionally labels leaf tensors, e.g. {{&w, "w"}, {&x, "x"}}.
std::string to_dot(const Tensor& output, const std::map<const Tensor*, std::string>& names = {});

}  // namespace qkv
