// adam.h — Adam and AdamW: adaptive moment estimation, exactly torch.optim.Adam's and
// torch.optim.AdamW's update rules (without amsgrad).
//
//   Adam opt(model.parameters(), {.lr = 1e-3, .beta2 = 0.98, .eps = 1e-9});
//   AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
//
// Per parameter, at its t-th update (t counts from 1), with gradient g and weight decay λ:
//   g ← g + λ·p                (Adam: weight decay as L2, added to the gradient)
//   p ← p·(1 - lr·λ)           (AdamW: decoupled weight decay, applied to the weights)
//   m ← β1·m + (1-β1)·g        first moment
//   v ← β2·v + (1-β2)·g²       second moment
//   p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
// The whole rule is one fused pass over each parameter's elements.
#pragma once

#include "optim/optimizer.h"

namespace qkv {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;       // β1, in [0, 1)
  double beta2 = 0.999;     // β2, in [0, 1)
  double eps = 1e-8;        // ε, >= 0
  double weight_decay = 0;  // λ, >= 0, added to the gradient (L2)
};

// The same options; only the default weight decay differs (torch's AdamW default, 0.01).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // λ, >= 0, decoupled: p ← p·(1 - lr·λ)
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  const AdamOptions& options() const { return options_; }

 protected:
  enum class WeightDecay { l2, decoupled };
  Adam(std::string name, std::vector<Tensor> params, const AdamOptions& options, WeightDecay mode);

  void update(const Tensor& param, const Tensor& grad, std::span<Tensor> slots, int64_t step) override;
  std::map<std::string, double> hyperparameters() const override;

 private:
  AdamOptions options_;
  WeightDecay mode_;
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
};

}  // namespace qkv
