// node.h — the autograd graph: one Node per recorded op, one AutogradMeta per tensor that
// takes part in differentiation.
//
//   leaf x (requires_grad) ──┐
//                            ├─ Node "mul" ── y ── Node "sum" ── loss
//   leaf w (requires_grad) ──┘
//
// A tensor's AutogradMeta says whether it requires grad, holds the gradient accumulated into a
// leaf, and points at the Node that produced it (none for leaves). A Node points at the
// AutogradMeta of each input (its edges) and owns the backward function, which maps the
// gradient of the node's output to the gradients of its inputs. The backward function
// captures only the tensors it reads, saved as SavedTensor (saved_tensor.h), never the node's
// own output tensor with its meta: that would be a shared_ptr cycle and leak the graph.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "autograd/op_name.h"
#include "tensor/tensor.h"

namespace qkv {

class Node;

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                    // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;  // producer of a non-leaf; null for leaves
};

// Gradients of a node's inputs, in input order; an undefined Tensor means "no gradient".
using Grads = std::vector<Tensor>;

class Node {
 public:
  using Backward = std::function<Grads(const Tensor& grad_output)>;

  // The input a gradient flows to: its meta (null if it does not require grad) and its shape,
  // to which a broadcast gradient is reduced.
  struct Edge {
    std::shared_ptr<AutogradMeta> meta;
    Shape shape;
    Dtype dtype;
  };

  Node(OpName name, std::vector<Edge> inputs, Backward backward, const Shape& output_shape);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // A view of a string literal (see op_name.h): valid for the life of the program.
  std::string_view name() const { return name_; }
  const std::vector<Edge>& inputs() const { return inputs_; }
  const Shape& output_shape() const { return output_shape_; }
  // Whether input i needs a gradient (ops may skip computing the others).
  bool needs_grad(size_t i) const { return i < inputs_.size() && inputs_[i].meta != nullptr; }

  // Runs backward; throws if the graph was already freed by an earlier backward.
  Grads apply(const Tensor& grad_output) const;
  // Drops the backward function (and the tensors it saved) and the edges.
  void release();
  bool released() const { return released_; }

  // Gradient of the output accumulated so far during one backward pass (engine use only).
  Tensor pending_grad;

  // Number of Node objects alive in the process (for the memory tests).
  static int64_t live_count() { return live_.load(); }

 private:
  OpName name_;
  std::vector<Edge> inputs_;
  Backward backward_;
  Shape output_shape_;
  bool released_ = false;
  static inline std::atomic<int64_t> live_{0};
};

}  // namespace qkv
