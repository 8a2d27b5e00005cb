// sgd.cpp — SGD's hyperparameter checks and its update: one fused pass over each parameter.
#include "optim/sgd.h"

#include <cmath>

#include "tensor/grain.h"
#include "tensor/parallel.h"

namespace qkv {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : Optimizer("SGD", std::move(params), options.lr,
                options.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{}),
      options_(options) {
  const SGDOptions& o = options_;
  check_hyperparameter(std::isfinite(o.momentum) && o.momentum >= 0, "momentum", "finite and >= 0", o.momentum);
  check_hyperparameter(o.dampening >= 0 && o.dampening <= 1, "dampening", "in [0, 1]", o.dampening);
  check_hyperparameter(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "weight_decay", "finite and >= 0",
                       o.weight_decay);
  check(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
        "SGD: nesterov needs momentum > 0 and dampening = 0, got momentum {} and dampening {}", o.momentum,
        o.dampening);
}

std::map<std::string, double> SGD::hyperparameters() const {
  return {{"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"weight_decay", options_.weight_decay},
          {"nesterov", options_.nesterov ? 1.0 : 0.0}};
}

void SGD::update(const Tensor& param, const Tensor& grad, std::span<Tensor> slots, int64_t step) {
  dispatch_floating("SGD", param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* v = slots.empty() ? nullptr : slots[0].data<T>();
    const T weight_decay = static_cast<T>(options_.weight_decay);
    const T momentum = static_cast<T>(options_.momentum);
    const T keep = static_cast<T>(1 - options_.dampening);  // 1-τ
    const T neg_lr = static_cast<T>(-lr());
    const bool nesterov = options_.nesterov;
    const bool first = step == 1;
    parallel_for(param.numel(), grain::kOptimizerUpdate, [=](int64_t begin, int64_t end) {  // by value: see adam.cpp
      for (int64_t j = begin; j < end; ++j) {
        T d = g[j];
        if (weight_decay != 0) d = d + weight_decay * p[j];  // g ← g + λ·p
        if (v != nullptr) {
          v[j] = first ? d : v[j] * momentum + keep * d;  // v ← g first, then v ← μ·v + (1-τ)·g
          d = nesterov ? d + momentum * v[j] : v[j];      // g ← g + μ·v (Nesterov) or g ← v
        }
        p[j] = p[j] + neg_lr * d;  // p ← p - lr·g
      }
    });
  });
}

}  // namespace qkv
