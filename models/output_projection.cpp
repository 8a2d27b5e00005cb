// output_projection.cpp — logits = x·Wᵀ + b with an own or a tied W, or the loss of those logits.
#include "models/output_projection.h"

#include "autograd/ops/linear.h"
#include "nn/init.h"

namespace qkv::models {

OutputProjection::OutputProjection(int64_t d_model, int64_t vocab, bool own_weight, Dtype dtype) {
  if (own_weight) weight_ = make_parameter({vocab, d_model}, dtype);
  bias_ = make_parameter({vocab}, dtype);
}

void OutputProjection::visit(ModuleVisitor& v) {
  if (weight_.defined()) v.parameter("weight", weight_);
  v.parameter("bias", bias_);
}

void OutputProjection::reset_own_parameters(Generator& gen) {
  if (weight_.defined()) init_xavier_uniform_(weight_, gen);
  init_constant_(bias_, 0.0);
}

Tensor OutputProjection::forward(const Tensor& x, const Tensor& tied_weight) {
  const Tensor& w = weight_.defined() ? weight_ : tied_weight;  // (V, D)
  check(x.size(-1) == w.size(1), "OutputProjection: expected input (..., {}), got {}", w.size(1), x.shape());
  return linear(x, w, bias_);  // (..., V) = x·Wᵀ + b, one product
}

Tensor OutputProjection::loss(const Tensor& x, const Tensor& tied_weight, const Tensor& targets,
                              const CrossEntropyOptions& options) {
  const Tensor& w = weight_.defined() ? weight_ : tied_weight;  // (V, D)
  check(x.size(-1) == w.size(1), "OutputProjection: expected input (..., {}), got {}", w.size(1), x.shape());
  return linear_cross_entropy(x, w, bias_, targets, options);  // the logits a chunk of rows at a time
}

}  // namespace qkv::models
