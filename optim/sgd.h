// sgd.h — stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight
// decay: exactly torch.optim.SGD's update rule.
//
//   SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
//
// Per parameter, with gradient g, weight decay λ, momentum μ, dampening τ:
//   g ← g + λ·p
//   v ← g                      on the parameter's first update (no dampening then, as in torch)
//   v ← μ·v + (1-τ)·g          afterwards
//   g ← g + μ·v  (Nesterov)   or   g ← v  (plain momentum)       (skipped when μ = 0)
//   p ← p - lr·g
#pragma once

#include "optim/optimizer.h"

namespace qkv {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;      // μ, >= 0; 0 keeps no momentum buffer
  double dampening = 0;     // τ, in [0, 1]
  double weight_decay = 0;  // λ, >= 0, added to the gradient (L2)
  bool nesterov = false;    // needs μ > 0 and τ = 0
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  const SGDOptions& options() const { return options_; }

 protected:
  void update(const Tensor& param, const Tensor& grad, std::span<Tensor> slots, int64_t step) override;
  std::map<std::string, double> hyperparameters() const override;

 private:
  SGDOptions options_;
};

}  // namespace qkv
