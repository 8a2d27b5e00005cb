// engine.cpp — reverse-mode differentiation over the recorded graph (see engine.h).
#include "autograd/engine.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "tensor/views.h"

namespace qkv {
namespace {

thread_local std::function<void(const AutogradMeta&)> leaf_done_hook;

// True if nothing else can see t's memory: this handle is the only owner of its storage, and t
// covers all of it contiguously. Such a gradient can be kept, or added into, without a copy.
bool sole_owner(const Tensor& t) {
  return t.storage().use_count() == 1 && t.is_contiguous() && t.offset() == 0 &&
         static_cast<size_t>(t.numel()) * itemsize(t.dtype()) == t.storage()->nbytes();
}

// The one place where gradients are summed into a leaf.
void accumulate_into_leaf(AutogradMeta& leaf, Tensor grad) {
  if (!leaf.grad.defined()) {
    // Own storage: `grad` may be shared with other paths (then it is copied).
    leaf.grad = sole_owner(grad) ? std::move(grad) : grad.clone();
  } else {
    raw::add_(leaf.grad, grad);
  }
}

// For every node reachable from `root`, the number of edges that lead into it. `alive` keeps
// every visited node alive for the whole pass: releasing a node drops its edges, which may
// hold the last reference to a node still waiting in the ready list.
// With a LeafDoneHook, `leaf_deps` counts the edges into each leaf as well.
std::unordered_map<Node*, int> count_dependencies(Node* root, std::vector<std::shared_ptr<Node>>& alive,
                                                  std::unordered_map<const AutogradMeta*, int>* leaf_deps) {
  std::unordered_map<Node*, int> deps{{root, 0}};
  std::vector<Node*> stack{root};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Node::Edge& edge : node->inputs()) {
      if (edge.meta && !edge.meta->grad_fn && leaf_deps != nullptr) ++(*leaf_deps)[edge.meta.get()];
      if (!edge.meta || !edge.meta->grad_fn) continue;
      Node* child = edge.meta->grad_fn.get();
      auto [it, first_visit] = deps.try_emplace(child, 0);
      ++it->second;
      if (first_visit) {
        stack.push_back(child);
        alive.push_back(edge.meta->grad_fn);
      }
    }
  }
  return deps;
}

// Delivers the gradient for one input edge of `node`.
void deliver(const Node& node, const Node::Edge& edge, Tensor grad, std::unordered_map<Node*, int>& deps,
             std::vector<Node*>& ready, std::unordered_map<const AutogradMeta*, int>* leaf_deps) {
  if (grad.defined()) {
    check(grad.dtype() == edge.dtype, "backward of {}: gradient dtype {} differs from the input's {}", node.name(),
          grad.dtype(), edge.dtype);
    grad = reduce_to_shape(node.name(), grad, edge.shape);
  }
  if (!edge.meta->grad_fn) {
    if (grad.defined()) accumulate_into_leaf(*edge.meta, std::move(grad));
    if (leaf_deps != nullptr && --(*leaf_deps)[edge.meta.get()] == 0) leaf_done_hook(*edge.meta);
    return;
  }
  Node* child = edge.meta->grad_fn.get();
  if (grad.defined()) {
    Tensor& pending = child->pending_grad;
    if (!pending.defined()) {
      pending = std::move(grad);
    } else if (sole_owner(pending)) {
      raw::add_(pending, grad);  // a second path's gradient, summed in place
    } else {
      pending = raw::add(pending, grad);
    }
  }
  if (--deps[child] == 0) ready.push_back(child);
}

}  // namespace

LeafDoneHook::LeafDoneHook(std::function<void(const AutogradMeta&)> on_leaf_done)
    : previous_(std::exchange(leaf_done_hook, std::move(on_leaf_done))) {}
LeafDoneHook::~LeafDoneHook() { leaf_done_hook = std::move(previous_); }

Tensor reduce_to_shape(std::string_view op, const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - shape.size();
  check(lead >= 0, "backward of {}: gradient of shape {} has fewer dimensions than its input {}", op, grad.shape(),
        shape);
  raw::Axes axes;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead) {
      axes.push_back(i);
      continue;
    }
    const int64_t want = shape[i - lead];
    const int64_t have = grad.shape()[i];
    check(want == have || want == 1, "backward of {}: gradient of shape {} cannot be reduced to its input's shape {}",
          op, grad.shape(), shape);
    if (want == 1 && have != 1) axes.push_back(i);
  }
  return raw::reshape(raw::sum(grad, axes, /*keepdim=*/true), shape);
}

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph) {
  check(output.defined(), "backward: the tensor is undefined");
  check(output.requires_grad(),
        "backward: the tensor does not require grad (call requires_grad_() on an input, and do not compute "
        "it under NoGradGuard)");
  check(grad_output.shape() == output.shape() && grad_output.dtype() == output.dtype(),
        "backward: gradient of shape {} and dtype {} given for an output of shape {} and dtype {}", grad_output.shape(),
        grad_output.dtype(), output.shape(), output.dtype());
  NoGradGuard no_grad;
  AutogradMeta& meta = *output.autograd_meta();
  if (!meta.grad_fn) {  // backward from a leaf: its gradient is the given one
    accumulate_into_leaf(meta, grad_output);
    return;
  }
  Node* root = meta.grad_fn.get();
  std::vector<std::shared_ptr<Node>> alive{meta.grad_fn};
  std::unordered_map<const AutogradMeta*, int> leaf_deps;
  std::unordered_map<const AutogradMeta*, int>* leaf_deps_if_hooked = leaf_done_hook ? &leaf_deps : nullptr;
  std::unordered_map<Node*, int> deps = count_dependencies(root, alive, leaf_deps_if_hooked);
  root->pending_grad = grad_output;
  std::vector<Node*> ready{root};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    const Tensor grad = std::move(node->pending_grad);
    node->pending_grad = Tensor();
    Grads grads(node->inputs().size());
    if (grad.defined()) {
      check(grad.shape() == node->output_shape(), "backward of {}: gradient of shape {} for an output of shape {}",
            node->name(), grad.shape(), node->output_shape());
      grads = node->apply(grad);
      if (anomaly_enabled()) {
        for (const Tensor& g : grads) check_finite(node->name(), "backward (an input gradient)", g);
      }
    } else {
      check(!node->released(),
            "backward: trying to go through the graph a second time at op '{}'; pass "
            "retain_graph=true to the first backward call",
            node->name());
    }
    for (size_t i = 0; i < grads.size(); ++i) {
      if (node->inputs()[i].meta)
        deliver(*node, node->inputs()[i], std::move(grads[i]), deps, ready, leaf_deps_if_hooked);
    }
    if (!retain_graph) node->release();
  }
}

}  // namespace qkv
