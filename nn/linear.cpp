// linear.cpp — Linear's parameters, initialisation and forward.
#include "nn/linear.h"

#include <cmath>

#include "autograd/ops/linear.h"
#include "nn/init.h"

namespace qkv {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Dtype dtype)
    : in_features_(in_features), out_features_(out_features) {
  check(in_features > 0 && out_features > 0, "Linear: features must be positive, got in={} out={}", in_features,
        out_features);
  weight_ = make_parameter({out_features, in_features}, dtype);
  if (bias) bias_ = make_parameter({out_features}, dtype);
}

void Linear::visit(ModuleVisitor& v) {
  v.parameter("weight", weight_);
  if (bias_.defined()) v.parameter("bias", bias_);
}

void Linear::reset_own_parameters(Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
  init_uniform_(weight_, gen, -bound, bound);
  if (bias_.defined()) init_uniform_(bias_, gen, -bound, bound);
}

Tensor Linear::forward(const Tensor& x) {
  check(x.dim() >= 1 && x.size(-1) == in_features_, "Linear: expected input (..., {}), got {}", in_features_,
        x.shape());
  return qkv::linear(x, weight_, bias_);  // (..., out) = x·Wᵀ + b, one product
}

}  // namespace qkv
