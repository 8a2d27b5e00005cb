// optim_test_util.h — small helpers shared by the optimizer tests: parameters from values and
// gradients set by hand.
#pragma once

#include <vector>

#include "qkv.h"

namespace qkv::optim_test {

// A float64 leaf parameter holding `values`.
inline Tensor param64(const std::vector<double>& values) { return from_vector(values).requires_grad_(); }

// Makes `g` the gradient of leaf `p`, replacing any previous one (backward from a leaf with an
// explicit gradient delivers exactly that gradient).
inline void set_grad(Tensor& p, const std::vector<double>& g) {
  p.zero_grad();
  p.backward(to_dtype(from_vector(g, p.shape()), p.dtype()));
}

inline std::vector<double> values(const Tensor& t) { return to_vector<double>(t); }

}  // namespace qkv::optim_test
