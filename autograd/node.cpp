// node.cpp — Node and SavedTensor bookkeeping, grad-mode switches and `record`.
#include "autograd/node.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "tensor/reduce.h"

namespace qkv {

// ---- Node -------------------------------------------------------------------------------

Node::Node(OpName name, std::vector<Edge> inputs, Backward backward, const Shape& output_shape)
    : name_(name), inputs_(std::move(inputs)), backward_(std::move(backward)), output_shape_(output_shape) {
  ++live_;
}

Node::~Node() { --live_; }

Grads Node::apply(const Tensor& grad_output) const {
  check(!released_,
        "backward: trying to go through the graph a second time at op '{}', whose saved tensors were freed "
        "by the first backward; pass retain_graph=true to the first backward call",
        name_);
  Grads grads = backward_(grad_output);
  check(grads.size() == inputs_.size(), "backward of {}: returned {} gradients for {} inputs", name_, grads.size(),
        inputs_.size());
  return grads;
}

void Node::release() {
  backward_ = nullptr;
  inputs_.clear();
  pending_grad = Tensor();
  released_ = true;
}

// ---- SavedTensor ------------------------------------------------------------------------

SavedTensor::SavedTensor(OpName op, const Tensor& t)
    : op_(op), tensor_(t.detach()), version_(t.defined() ? t.storage()->version() : 0) {
  ++live_;
}

SavedTensor::SavedTensor(const SavedTensor& other) : op_(other.op_), tensor_(other.tensor_), version_(other.version_) {
  ++live_;
}

SavedTensor::~SavedTensor() { --live_; }

const Tensor& SavedTensor::get() const {
  if (tensor_.defined()) {
    const uint64_t now = tensor_.storage()->version();
    check(now == version_,
          "backward of {}: a tensor of shape {} that {} saved for backward was modified in place afterwards "
          "(version {} at save, {} now); its gradient would be wrong. Modify a clone() instead.",
          op_, tensor_.shape(), op_, version_, now);
  }
  return tensor_;
}

// ---- grad mode and anomaly mode ---------------------------------------------------------

namespace {
thread_local bool grad_mode = true;
thread_local bool anomaly_mode = false;
}  // namespace

bool grad_enabled() { return grad_mode; }
bool anomaly_enabled() { return anomaly_mode; }
NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }
AnomalyGuard::AnomalyGuard() : previous_(anomaly_mode) { anomaly_mode = true; }
AnomalyGuard::~AnomalyGuard() { anomaly_mode = previous_; }

// ---- record -----------------------------------------------------------------------------

bool needs_grad(const std::vector<Tensor>& tensors) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : tensors) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

void check_finite(std::string_view op, std::string_view where, const Tensor& t) {
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return;
  dispatch_floating(op, t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor c = t.is_contiguous() ? t : t.clone();
    const T* p = c.data<T>();
    for (int64_t i = 0; i < c.numel(); ++i) {
      check(std::isfinite(p[i]), "anomaly: {} produced {} in its {} (shape {}, element {})", op,
            std::isnan(p[i]) ? "NaN" : "Inf", where, t.shape(), i);
    }
  });
}

void record(OpName op, Tensor& output, const std::vector<Tensor>& inputs, Node::Backward backward) {
  if (anomaly_enabled()) check_finite(op, "forward output", output);
  std::vector<Node::Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    const bool flows = in.defined() && in.requires_grad();
    edges.push_back({flows ? in.autograd_meta() : nullptr, in.defined() ? in.shape() : Shape{},
                     in.defined() ? in.dtype() : Dtype::float32});
  }
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = std::make_shared<Node>(op, std::move(edges), std::move(backward), output.shape());
  output.set_autograd_meta(std::move(meta));
}

}  // namespace qkv
