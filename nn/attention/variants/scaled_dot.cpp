// scaled_dot.cpp — the Transformer's scoring rule, qkv's default: s = q·kᵀ/√Dh.
//
// Two paths with one result:
//   fused     flash_attention (nn/attention/flash_attention.h): tiled, online softmax, never
//             builds the Tq×Tk weights. Taken when the weights are not requested, the
//             normaliser is softmax, and there is no dropout on the weights (eval, or p = 0).
//   composed  ScoredAttention::forward: matmul → scale → masked_fill → softmax → matmul. Taken
//             otherwise (need_weights, dropout while training, another normaliser), or always
//             when the option "fused" is 0 (for comparisons).
// When the fused path applies, it also takes self-attention's packed q, k, v (forward_packed).
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/flash_attention.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class ScaledDotAttention : public ScoredAttention {
 public:
  using ScoredAttention::ScoredAttention;

  Tensor scores(const Tensor& q, const Tensor& k) override {
    return matmul(q, transpose(k, -1, -2)) * scale(q);  // (B, H, Tq, Tk)
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    if (!fuses(need_weights) || q.dim() != 4) return ScoredAttention::forward(q, k, v, mask, need_weights);
    return {flash_attention(q, k, v, mask, scale(q)), Tensor()};  // (B, H, Tq, Dv)
  }

  // Option "packed" = 0 keeps self-attention's three projections apart (for comparisons).
  bool packs_qkv(bool need_weights) const override {
    return fuses(need_weights) && config_.option("packed", 1.0) != 0.0;
  }

  // qkv (B, T, 3·H·Dh) → (B, H, T, Dh)
  Tensor forward_packed(const Tensor& qkv, const AttentionMask& mask) override {
    check(fuses(false), "scaled_dot: forward_packed needs the fused path (softmax, no dropout on the weights)");
    const double scale = 1.0 / std::sqrt(static_cast<double>(config_.head_dim));
    return flash_attention_packed(qkv, config_.num_heads, mask, scale);
  }

 private:
  // The fused kernel computes exactly this variant's result when nothing needs the weights
  // themselves: no weights returned, no dropout applied to them, the softmax normaliser.
  bool fuses(bool need_weights) const {
    const bool dropout_off = config_.dropout == 0.0 || !training();
    return !need_weights && dropout_off && config_.option("fused", 1.0) != 0.0 && config_.normaliser == "softmax";
  }

  static double scale(const Tensor& q) { return 1.0 / std::sqrt(static_cast<double>(q.size(-1))); }
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_scaled_dot_attention() {
  register_attention("scaled_dot", "q·kᵀ/√Dh (the Transformer's; the default)",
                     [](const AttentionConfig& c) { return std::make_unique<ScaledDotAttention>(c); },
                     {{.key = "fused",
                       .fallback = 1,
                       .low = 0,
                       .high = 1,
                       .whole = true,
                       .help = "0 takes the composed path even where the fused kernel applies (for comparisons)"},
                      {.key = "packed",
                       .fallback = 1,
                       .low = 0,
                       .high = 1,
                       .whole = true,
                       .help = "0 projects self-attention's q, k, v apart (for comparisons)"}});
}

}  // namespace qkv
