// adam.cpp — Adam's and AdamW's hyperparameter checks and their fused update loop.
#include "optim/adam.h"

#include <cmath>
#include <type_traits>

#include "tensor/grain.h"
#include "tensor/parallel.h"

namespace qkv {

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam("Adam", std::move(params), options, WeightDecay::l2) {}

Adam::Adam(std::string name, std::vector<Tensor> params, const AdamOptions& options, WeightDecay mode)
    : Optimizer(std::move(name), std::move(params), options.lr, {"exp_avg", "exp_avg_sq"}),
      options_(options),
      mode_(mode) {
  const AdamOptions& o = options_;
  check_hyperparameter(o.beta1 >= 0 && o.beta1 < 1, "beta1", "in [0, 1)", o.beta1);
  check_hyperparameter(o.beta2 >= 0 && o.beta2 < 1, "beta2", "in [0, 1)", o.beta2);
  check_hyperparameter(std::isfinite(o.eps) && o.eps >= 0, "eps", "finite and >= 0", o.eps);
  check_hyperparameter(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "weight_decay", "finite and >= 0",
                       o.weight_decay);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o)
    : Adam("AdamW", std::move(params),
           AdamOptions{.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps, .weight_decay = o.weight_decay},
           WeightDecay::decoupled) {}

std::map<std::string, double> Adam::hyperparameters() const {
  return {{"beta1", options_.beta1},
          {"beta2", options_.beta2},
          {"eps", options_.eps},
          {"weight_decay", options_.weight_decay}};
}

void Adam::update(const Tensor& param, const Tensor& grad, std::span<Tensor> slots, int64_t step) {
  // The per-step scalars, in double as torch computes them in Python, then rounded to T.
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1 - std::pow(options_.beta2, t);
  dispatch_floating(name(), param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* m = slots[0].data<T>();
    T* v = slots[1].data<T>();
    const T l2 = static_cast<T>(mode_ == WeightDecay::l2 ? options_.weight_decay : 0);
    const T decay = static_cast<T>(mode_ == WeightDecay::decoupled ? 1 - lr() * options_.weight_decay : 1);
    const T beta1 = static_cast<T>(options_.beta1);
    const T beta2 = static_cast<T>(options_.beta2);
    const T one_minus_beta1 = static_cast<T>(1 - options_.beta1);
    const T one_minus_beta2 = static_cast<T>(1 - options_.beta2);
    const T eps = static_cast<T>(options_.eps);
    const T neg_step_size = static_cast<T>(-(lr() / bias_correction1));
    const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    // The weight decay branches are resolved at compile time so the loop has no control flow;
    // the body captures by value so the compiler knows the stores cannot move the pointers.
    auto run = [&](auto with_l2, auto with_decay) {
      parallel_for(param.numel(), grain::kOptimizerUpdate, [=](int64_t begin, int64_t end) {
        for (int64_t j = begin; j < end; ++j) {
          T gj = g[j];
          if constexpr (with_l2) gj = gj + l2 * p[j];                     // Adam:  g ← g + λ·p
          if constexpr (with_decay) p[j] = p[j] * decay;                  // AdamW: p ← p·(1 - lr·λ)
          m[j] = m[j] * beta1 + one_minus_beta1 * gj;                     // m ← β1·m + (1-β1)·g
          v[j] = v[j] * beta2 + one_minus_beta2 * gj * gj;                // v ← β2·v + (1-β2)·g²
          const T denom = std::sqrt(v[j]) / bias_correction2_sqrt + eps;  // √v/√(1-β2^t) + ε
          p[j] = p[j] + neg_step_size * m[j] / denom;                     // p ← p - lr/(1-β1^t)·m/denom
        }
      });
    };
    if (l2 != 0) {
      run(std::true_type{}, std::false_type{});
    } else if (decay != 1) {
      run(std::false_type{}, std::true_type{});
    } else {
      run(std::false_type{}, std::false_type{});
    }
  });
}

}  // namespace qkv
