// cosine.h — cosine-similarity scores with a learnable temperature, the class behind two
// variants: `cosine` (cosine.cpp, which defines it) and `pearson` (pearson.cpp), whose
// similarity is the cosine of vectors first centred on their own mean over Dh.
//
//   s = cos(x(q), x(k)) · exp(log_scale),   x(v) = v (cosine) or v - mean(v) (pearson)
//
// Parameter "log_scale" (H): one temperature per head. Options "scale" (1/τ at init, default
// √Dh) and "eps" (default 1e-8); cosine.cpp's top comment explains both.
#pragma once

#include <string>
#include <vector>

#include "nn/attention/variant.h"

namespace qkv {

class CosineAttention : public ScoredAttention {
 public:
  // `name` is the registered name, used in error messages; `centred` subtracts each vector's
  // mean over its last axis before normalising it (Pearson correlation instead of cosine).
  CosineAttention(const AttentionConfig& c, std::string name, bool centred);

  Tensor scores(const Tensor& q, const Tensor& k) override { return prepared_scores(q, prepare_keys(k)); }
  Tensor prepare_keys(const Tensor& k) override { return unit(k); }  // (B, H, Tk, Dh)
  Tensor prepared_scores(const Tensor& q, const Tensor& unit_k) override;
  void visit(ModuleVisitor& v) override;

 protected:
  void reset_own_parameters(Generator&) override;

 private:
  // x (centred, if so built) divided by √(‖x‖² + ε²) along the last axis: x/‖x‖ for ‖x‖ ≫ ε,
  // and 0 (smoothly) for x = 0.
  Tensor unit(const Tensor& x) const;

  std::string name_;
  bool centred_;
  double initial_scale_;
  double eps_;
  Tensor log_scale_;  // (H): log(1/τ)
};

// The options both variants declare when they register: scale and eps.
std::vector<VariantOption> cosine_options();

}  // namespace qkv
