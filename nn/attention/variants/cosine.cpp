// cosine.cpp — cosine-similarity attention with a learnable temperature:
//     s = cos(q, k)/τ = (q̂·k̂) · exp(log_scale),   q̂ = q/√(‖q‖² + ε²),  k̂ likewise,
// so 1/τ = exp(log_scale) stays positive. Parameter "log_scale" (H): one temperature per head.
// Shapes: q (B, H, Tq, Dh), k (B, H, Tk, Dh) → s (B, H, Tq, Tk).
//
// Initial scale: option "scale", default √Dh. Cosines of random Dh-dimensional vectors have
// standard deviation about 1/√Dh, so √Dh·cos starts with the unit spread of scaled_dot's
// q·k/√Dh (≈ 8 for Dh = 64, close to the common fixed choice of 10). ε = option "eps" (default
// 1e-8) keeps a zero vector finite: its q̂ is 0, so its scores are 0 and its gradients finite.
// The unit keys k̂ are prepare_keys: a recurrent decoder normalises them once per sentence.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

class CosineAttention : public ScoredAttention {
 public:
  explicit CosineAttention(const AttentionConfig& c)
      : ScoredAttention(c),
        initial_scale_(c.option("scale", std::sqrt(static_cast<double>(c.head_dim)))),
        eps_(c.option("eps", 1e-8)),
        log_scale_(make_parameter({c.num_heads}, c.dtype)) {
    check(initial_scale_ > 0, "cosine attention: option 'scale' must be positive, got {}", initial_scale_);
    check(eps_ > 0, "cosine attention: option 'eps' must be positive, got {}", eps_);
  }

  Tensor scores(const Tensor& q, const Tensor& k) override { return prepared_scores(q, prepare_keys(k)); }

  Tensor prepare_keys(const Tensor& k) override { return unit(k); }  // (B, H, Tk, Dh)

  Tensor prepared_scores(const Tensor& q, const Tensor& unit_k) override {
    const int64_t heads = config_.num_heads;
    check(q.size(1) == heads, "cosine attention: built for {} heads, got q {}", heads, q.shape());
    const Tensor cosines = matmul(unit(q), transpose(unit_k, -1, -2));  // (B, H, Tq, Tk)
    return cosines * reshape(exp(log_scale_), {1, heads, 1, 1});
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("log_scale", log_scale_);
  }

 protected:
  void reset_own_parameters(Generator&) override { init_constant_(log_scale_, std::log(initial_scale_)); }

 private:
  // x/√(‖x‖² + ε²) along the last axis: x/‖x‖ for ‖x‖ ≫ ε, and 0 (smoothly) for x = 0.
  Tensor unit(const Tensor& x) const { return x / sqrt(sum(x * x, {-1}, /*keepdim=*/true) + eps_ * eps_); }

  double initial_scale_;
  double eps_;
  Tensor log_scale_;  // (H): log(1/τ)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_cosine_attention() {
  register_attention("cosine", "cos(q, k)/τ, learnable τ per head; option scale (1/τ at init)",
                     [](const AttentionConfig& c) { return std::make_unique<CosineAttention>(c); });
}

}  // namespace qkv
