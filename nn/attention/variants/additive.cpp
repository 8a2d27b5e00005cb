// additive.cpp — Bahdanau's additive attention: s = vᵀ tanh(W_q q + W_k k).
//
// Per head h: W_q, W_k (hidden, Dh) and v (hidden), with hidden = option "hidden" (default Dh).
// Parameters "w_q", "w_k" (H, hidden, Dh) and "v" (H, hidden); each head scores on its own.
// Computed by broadcasting, which holds one (B, H, Tq, Tk, hidden) tensor — fine for modest T:
//     q' = q·W_qᵀ (B, H, Tq, hidden),  k' = k·W_kᵀ (B, H, Tk, hidden)
//     f  = tanh(q'[:, :, :, None] + k'[:, :, None])       (B, H, Tq, Tk, hidden)
//     s  = f·v                                               (B, H, Tq, Tk)
// The key half, k' (B, H, Tk, hidden), is prepare_keys: a recurrent decoder computes it once per
// sentence instead of once per step (variant.h).
// Initialised like Linear layers: W_q, W_k uniform on ±1/√Dh, v uniform on ±1/√hidden.
// No biases (as D2L's AdditiveAttention; a bias on W_q q would only shift tanh's input).
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/per_head.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

class AdditiveAttention : public ScoredAttention {
 public:
  explicit AdditiveAttention(const AttentionConfig& c)
      : ScoredAttention(c), hidden_(static_cast<int64_t>(c.option("hidden", static_cast<double>(c.head_dim)))) {
    check(hidden_ > 0, "additive attention: option 'hidden' must be positive, got {}", hidden_);
    w_q_ = make_parameter({c.num_heads, hidden_, c.head_dim}, c.dtype);
    w_k_ = make_parameter({c.num_heads, hidden_, c.head_dim}, c.dtype);
    v_ = make_parameter({c.num_heads, hidden_}, c.dtype);
  }

  Tensor scores(const Tensor& q, const Tensor& k) override { return prepared_scores(q, prepare_keys(k)); }

  Tensor prepare_keys(const Tensor& k) override {
    check(k.dim() == 4 && k.size(1) == config_.num_heads && k.size(-1) == config_.head_dim,
          "additive attention: built for {} heads of width {}, got k {}", config_.num_heads, config_.head_dim,
          k.shape());
    return per_head_matmul(k, transpose(w_k_, -1, -2));  // (B, H, Tk, hidden)
  }

  Tensor prepared_scores(const Tensor& q, const Tensor& kh) override {
    const int64_t heads = config_.num_heads;
    check(q.size(1) == heads && q.size(-1) == config_.head_dim && kh.size(-1) == hidden_,
          "additive attention: built for {} heads of width {} (hidden {}), got q {} and prepared keys {}", heads,
          config_.head_dim, hidden_, q.shape(), kh.shape());
    const Tensor qh = per_head_matmul(q, transpose(w_q_, -1, -2));      // (B, H, Tq, hidden)
    const Tensor features = tanh(unsqueeze(qh, 3) + unsqueeze(kh, 2));  // (B, H, Tq, Tk, hidden)
    // (B, H, Tq, Tk, hidden) · (H, 1, hidden, 1) → (B, H, Tq, Tk, 1)
    return squeeze(matmul(features, reshape(v_, {heads, 1, hidden_, 1})), -1);
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("w_q", w_q_);
    v.parameter("w_k", w_k_);
    v.parameter("v", v_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(static_cast<double>(config_.head_dim));
    init_uniform_(w_q_, gen, -bound, bound);
    init_uniform_(w_k_, gen, -bound, bound);
    const double v_bound = 1.0 / std::sqrt(static_cast<double>(hidden_));
    init_uniform_(v_, gen, -v_bound, v_bound);
  }

 private:
  int64_t hidden_;
  Tensor w_q_;  // (H, hidden, Dh)
  Tensor w_k_;  // (H, hidden, Dh)
  Tensor v_;    // (H, hidden)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_additive_attention() {
  register_attention(
      "additive", "vᵀ tanh(W_q q + W_k k) (Bahdanau's)",
      [](const AttentionConfig& c) { return std::make_unique<AdditiveAttention>(c); },
      {{.key = "hidden", .fallback_text = "Dh", .low = 1, .whole = true, .help = "width of tanh(W_q q + W_k k)"}});
}

}  // namespace qkv
