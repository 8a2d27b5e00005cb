// graphviz.cpp — iterative walk of the graph, emitting DOT nodes and edges.
#include "autograd/graphviz.h"

#include <unordered_map>
#include <vector>

#include "autograd/node.h"

namespace qkv {

std::string to_dot(const Tensor& output, const std::map<const Tensor*, std::string>& names) {
  std::string dot = "digraph qkv {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n";
  if (!output.requires_grad()) return dot + "  empty [label=\"(no graph: the tensor does not require grad)\"];\n}\n";

  std::unordered_map<const AutogradMeta*, std::string> leaf_names;
  for (const auto& [tensor, name] : names) {
    if (tensor->autograd_meta()) leaf_names[tensor->autograd_meta().get()] = name;
  }
  std::unordered_map<const void*, int> ids;  // Node* or leaf AutogradMeta* -> DOT id
  auto id_of = [&](const void* p, bool& is_new) {
    auto [it, inserted] = ids.try_emplace(p, static_cast<int>(ids.size()));
    is_new = inserted;
    return it->second;
  };

  const AutogradMeta* root_meta = output.autograd_meta().get();
  if (!root_meta->grad_fn) {
    const auto it = leaf_names.find(root_meta);
    return dot + fmt::format("  n0 [shape=box, label=\"{}{}\"];\n}}\n", it == leaf_names.end() ? "" : it->second + " ",
                             output.shape());
  }
  bool is_new = false;
  std::vector<const Node*> stack{root_meta->grad_fn.get()};
  dot += fmt::format("  n{} [label=\"{}\\n{}\"];\n", id_of(stack.back(), is_new), stack.back()->name(),
                     stack.back()->output_shape());
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    const int node_id = ids.at(node);
    for (const Node::Edge& edge : node->inputs()) {
      if (!edge.meta) continue;
      const void* key = edge.meta->grad_fn ? static_cast<const void*>(edge.meta->grad_fn.get()) : edge.meta.get();
      const int input_id = id_of(key, is_new);
      if (is_new && edge.meta->grad_fn) {
        const Node* child = edge.meta->grad_fn.get();
        dot += fmt::format("  n{} [label=\"{}\\n{}\"];\n", input_id, child->name(), child->output_shape());
        stack.push_back(child);
      } else if (is_new) {
        const auto it = leaf_names.find(edge.meta.get());
        dot += fmt::format("  n{} [shape=box, style=filled, fillcolor=lightblue, label=\"{}{}\"];\n", input_id,
                           it == leaf_names.end() ? "" : it->second + " ", edge.shape);
      }
      dot += fmt::format("  n{} -> n{};\n", input_id, node_id);
    }
  }
  return dot + "}\n";
}

}  // namespace qkv
