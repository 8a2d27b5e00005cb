// bilinear.cpp — multiplicative attention, Luong's "general" score: s = qᵀ W k, with a learnable
// W (Dh, Dh) for each head (each head gets its own notion of similarity, as it gets its own
// projections). Parameter "weight" (H, Dh, Dh); scores (B, H, Tq, Tk) = (q·W_h)·kᵀ.
// Initialised like a Linear(Dh → Dh): uniform on ±1/√Dh. No 1/√Dh scaling is applied, so with
// unit-variance q and k the scores start with variance about Dh/3 (Luong's scoring is unscaled).
// W = I gives the "dot" variant.
#include <cmath>

#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/per_head.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

class BilinearAttention : public ScoredAttention {
 public:
  explicit BilinearAttention(const AttentionConfig& c)
      : ScoredAttention(c), weight_(make_parameter({c.num_heads, c.head_dim, c.head_dim}, c.dtype)) {}

  Tensor scores(const Tensor& q, const Tensor& k) override {
    check(q.size(1) == config_.num_heads && q.size(-1) == config_.head_dim,
          "bilinear attention: built for {} heads of width {}, got q {}", config_.num_heads, config_.head_dim,
          q.shape());
    const Tensor qw = per_head_matmul(q, weight_);  // (B, H, Tq, Dh) · (H, Dh, Dh) → (B, H, Tq, Dh)
    return matmul(qw, transpose(k, -1, -2));        // (B, H, Tq, Tk)
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("weight", weight_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(static_cast<double>(config_.head_dim));
    init_uniform_(weight_, gen, -bound, bound);
  }

 private:
  Tensor weight_;  // (H, Dh, Dh)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_bilinear_attention() {
  register_attention("bilinear", "qᵀ W k with a learnable W per head (Luong's general)",
                     [](const AttentionConfig& c) { return std::make_unique<BilinearAttention>(c); });
}

}  // namespace qkv
