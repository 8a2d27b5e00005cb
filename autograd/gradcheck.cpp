// gradcheck.cpp — full-Jacobian finite-difference check of backward (see gradcheck.h).
#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"

namespace qkv {
namespace {

// The multi-index of flat position `flat` in `shape`, formatted as [i, j, ...].
std::string index_of(int64_t flat, const Shape& shape) {
  Shape index = shape;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    index[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return fmt::format("{}", index);
}

// f's output as float64 values in row-major order, computed without recording.
std::vector<double> evaluate(const GradcheckFunction& f, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return to_vector<double>(f(inputs));
}

}  // namespace

void gradcheck(std::string_view op, const GradcheckFunction& f, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options) {
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& in = inputs[k];
    check(!in.requires_grad() || in.dtype() == Dtype::float64,
          "gradcheck of {}: input {} is {}; finite differences need float64", op, k, in.dtype());
    check(!in.requires_grad() || in.is_contiguous(), "gradcheck of {}: input {} must be contiguous", op, k);
  }
  const Tensor output = f(inputs);
  check(output.requires_grad(), "gradcheck of {}: the output does not require grad", op);
  const int64_t n_out = output.numel();

  // Analytic Jacobian: one backward per output element, rows [output][input element].
  std::vector<std::vector<std::vector<double>>> analytic(inputs.size());
  for (int64_t j = 0; j < n_out; ++j) {
    for (const Tensor& in : inputs) {
      if (in.requires_grad()) Tensor(in).zero_grad();  // copies share the gradient slot
    }
    std::vector<double> one_hot(static_cast<size_t>(n_out), 0.0);
    one_hot[static_cast<size_t>(j)] = 1.0;
    output.backward(raw::to_dtype(from_vector(one_hot, output.shape()), output.dtype()), /*retain_graph=*/true);
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!inputs[k].requires_grad()) continue;
      const Tensor g = inputs[k].grad();
      analytic[k].push_back(g.defined() ? to_vector<double>(g)
                                        : std::vector<double>(static_cast<size_t>(inputs[k].numel()), 0.0));
    }
  }

  // Numerical Jacobian: perturb one input element at a time, compare column by column.
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& in = inputs[k];
    if (!in.requires_grad()) continue;
    double* p = in.data<double>();
    double worst = -1;
    std::string report;
    for (int64_t i = 0; i < in.numel(); ++i) {
      const double saved = p[i];
      p[i] = saved + options.eps;
      const std::vector<double> plus = evaluate(f, inputs);
      p[i] = saved - options.eps;
      const std::vector<double> minus = evaluate(f, inputs);
      p[i] = saved;
      for (int64_t j = 0; j < n_out; ++j) {
        const double numeric = (plus[static_cast<size_t>(j)] - minus[static_cast<size_t>(j)]) / (2 * options.eps);
        const double exact = analytic[k][static_cast<size_t>(j)][static_cast<size_t>(i)];
        // How far past the tolerance the pair is; a NaN on either side counts as infinitely far.
        double excess = std::fabs(exact - numeric) - (options.atol + options.rtol * std::fabs(numeric));
        if (std::isnan(excess)) excess = INFINITY;
        if (excess > worst) {
          worst = excess;
          report = fmt::format(
              "gradcheck of {}: input {} (shape {}) element {} for output element {}: backward "
              "gives {:.10g}, finite differences give {:.10g}",
              op, k, in.shape(), index_of(i, in.shape()), index_of(j, output.shape()), exact, numeric);
        }
      }
    }
    check(worst <= 0, "{}", report);
  }
  for (const Tensor& in : inputs) {
    if (in.requires_grad()) Tensor(in).zero_grad();
  }
}

}  // namespace qkv
