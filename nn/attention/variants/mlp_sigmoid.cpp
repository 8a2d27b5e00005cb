// mlp_sigmoid.cpp — a hand-made score function, the material's own example: a small MLP reads
// the query and the key together, and a sigmoid turns its output into the weight.
//
//   score  s_ij = w2 · relu(W1 [q_i; k_j] + b1)                       (B, H, Tq, Tk)
//   weight a_ij = σ(s_ij) where allowed, 0 elsewhere;  out = a·v       (B, H, Tq, Dv)
//
// Per head h: W1 (hidden, 2·Dh) split as [W1q | W1k], b1 (hidden), w2 (hidden); hidden = option
// "hidden" (default Dh). Parameters "w1_q", "w1_k" (H, hidden, Dh), "b1" (H, hidden), "w2" (H, hidden).
//
// How it maps onto qkv's split into scores and a normaliser: the MLP is the score and the
// sigmoid is the normaliser, so this variant is ScoredAttention with the "sigmoid" normaliser
// (each weight on its own, rows need not sum to 1) as its default. Another normaliser can be
// named ("mlp_sigmoid+sparsemax"); "softmax", the library-wide default, cannot be told apart
// from naming none and so also means sigmoid here (for a softmax over an MLP score, `additive`).
//
// W1 [q; k] is computed as W1q·q + W1k·k and broadcast-added, so the (B, H, Tq, Tk, 2·Dh)
// concatenation is never built; the (B, H, Tq, Tk, hidden) relu features are, as in additive.cpp
// (fine for modest T). The key half W1k·k + b1 is prepare_keys. Initialised like Linear layers:
// W1 uniform on ±1/√(2·Dh) (its fan-in), b1 likewise, w2 uniform on ±1/√hidden; no output bias
// (w2 can reach negative scores through b1, and a bias would be a constant under softmax).
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/per_head.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

AttentionConfig with_sigmoid_by_default(AttentionConfig c) {
  if (c.normaliser == "softmax") c.normaliser = "sigmoid";
  return c;
}

class MlpSigmoidAttention : public ScoredAttention {
 public:
  explicit MlpSigmoidAttention(const AttentionConfig& c)
      : ScoredAttention(with_sigmoid_by_default(c)),
        hidden_(static_cast<int64_t>(c.option("hidden", static_cast<double>(c.head_dim)))) {
    check(hidden_ > 0, "mlp_sigmoid attention: option 'hidden' must be positive, got {}", hidden_);
    w1_q_ = make_parameter({c.num_heads, hidden_, c.head_dim}, c.dtype);
    w1_k_ = make_parameter({c.num_heads, hidden_, c.head_dim}, c.dtype);
    b1_ = make_parameter({c.num_heads, hidden_}, c.dtype);
    w2_ = make_parameter({c.num_heads, hidden_}, c.dtype);
  }

  Tensor scores(const Tensor& q, const Tensor& k) override { return prepared_scores(q, prepare_keys(k)); }

  // W1k·k + b1: (B, H, Tk, hidden)
  Tensor prepare_keys(const Tensor& k) override {
    const int64_t heads = config_.num_heads;
    check(k.dim() == 4 && k.size(1) == heads && k.size(-1) == config_.head_dim,
          "mlp_sigmoid attention: built for {} heads of width {}, got k {}", heads, config_.head_dim, k.shape());
    return per_head_matmul(k, transpose(w1_k_, -1, -2)) + reshape(b1_, {1, heads, 1, hidden_});
  }

  Tensor prepared_scores(const Tensor& q, const Tensor& kh) override {
    const int64_t heads = config_.num_heads;
    check(q.dim() == 4 && q.size(1) == heads && q.size(-1) == config_.head_dim && kh.size(-1) == hidden_,
          "mlp_sigmoid attention: built for {} heads of width {} (hidden {}), got q {} and prepared keys {}", heads,
          config_.head_dim, hidden_, q.shape(), kh.shape());
    const Tensor qh = per_head_matmul(q, transpose(w1_q_, -1, -2));     // (B, H, Tq, hidden)
    const Tensor features = relu(unsqueeze(qh, 3) + unsqueeze(kh, 2));  // (B, H, Tq, Tk, hidden)
    // (B, H, Tq, Tk, hidden) · (H, 1, hidden, 1) → (B, H, Tq, Tk, 1)
    return squeeze(matmul(features, reshape(w2_, {heads, 1, hidden_, 1})), -1);
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("w1_q", w1_q_);
    v.parameter("w1_k", w1_k_);
    v.parameter("b1", b1_);
    v.parameter("w2", w2_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(2.0 * static_cast<double>(config_.head_dim));
    init_uniform_(w1_q_, gen, -bound, bound);
    init_uniform_(w1_k_, gen, -bound, bound);
    init_uniform_(b1_, gen, -bound, bound);
    const double w2_bound = 1.0 / std::sqrt(static_cast<double>(hidden_));
    init_uniform_(w2_, gen, -w2_bound, w2_bound);
  }

 private:
  int64_t hidden_;
  Tensor w1_q_;  // (H, hidden, Dh)
  Tensor w1_k_;  // (H, hidden, Dh)
  Tensor b1_;    // (H, hidden)
  Tensor w2_;    // (H, hidden)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_mlp_sigmoid_attention() {
  register_attention("mlp_sigmoid", "σ(w2·relu(W1[q; k] + b1)) per key (sigmoid normaliser by default)",
                     [](const AttentionConfig& c) { return std::make_unique<MlpSigmoidAttention>(c); },
                     {{.key = "hidden", .fallback_text = "Dh", .low = 1, .whole = true, .help = "width of the MLP"}});
}

}  // namespace qkv
