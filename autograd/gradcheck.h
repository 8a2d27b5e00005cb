// gradcheck.h — proves a backward right: compares it with central finite differences.
//
//   Generator gen(0);
//   Tensor x = randn({3, 4}, gen, Dtype::float64).requires_grad_();
//   gradcheck("tanh", [](const std::vector<Tensor>& in) { return tanh(in[0]); }, {x});
//
// For every output element j, a backward with a one-hot gradient gives row j of the analytic
// Jacobian; for every input element i, f(x + εeᵢ) - f(x - εeᵢ) over 2ε gives column i of the
// numerical one. Inputs must be float64 (float32 is too coarse for finite differences).
// On a mismatch it throws qkv::Error naming the op, the input, the worst element and both values.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace qkv {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol·|numeric|
  double rtol = 1e-3;
};

using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks the gradients of f with respect to every input that requires grad.
void gradcheck(std::string_view op, const GradcheckFunction& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options = {});

}  // namespace qkv
