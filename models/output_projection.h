// output_projection.h — the last layer of a translation model: logits = x·Wᵀ + b, where W is
// its own (untied) or another module's table (tied: the target embedding, so that one matrix
// both reads and writes target tokens).
#pragma once

#include "nn/functional.h"
#include "nn/module.h"

namespace qkv::models {

class OutputProjection : public Module {
 public:
  // own_weight: whether W (vocab, d_model) is a parameter of this module.
  OutputProjection(int64_t d_model, int64_t vocab, bool own_weight, Dtype dtype);
  // x (..., D), weight (V, D) — the tied table when !own_weight, ignored otherwise → (..., V)
  Tensor forward(const Tensor& x, const Tensor& tied_weight);
  // cross_entropy(forward(x, tied_weight), targets, options) through linear_cross_entropy
  // (nn/functional.h): for a mean or a sum, without making the logits whole. targets: x's shape
  // without its last dimension.
  Tensor loss(const Tensor& x, const Tensor& tied_weight, const Tensor& targets, const CrossEntropyOptions& options);
  void visit(ModuleVisitor& v) override;

 protected:
  void reset_own_parameters(Generator& gen) override;  // Xavier-uniform W, zero bias

 private:
  Tensor weight_;  // (V, D), undefined when tied
  Tensor bias_;    // (V)
};

}  // namespace qkv::models
