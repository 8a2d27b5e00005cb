// linear.h — Linear: y = x·Wᵀ + b, applied to the last dimension of x.
#pragma once

#include "nn/module.h"

namespace qkv {

class Linear : public UnaryModule {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Dtype dtype = Dtype::float32);

  // x: (..., in) -> (..., out)
  Tensor forward(const Tensor& x) override;
  void visit(ModuleVisitor& v) override;

  Tensor& weight() { return weight_; }  // (out, in)
  Tensor& bias() { return bias_; }      // (out), undefined without bias

 protected:
  // PyTorch's default: W and b uniform on ±1/√in (kaiming_uniform with a = √5).
  void reset_own_parameters(Generator& gen) override;

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace qkv
