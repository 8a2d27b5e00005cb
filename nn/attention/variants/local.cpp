// local.cpp — local (windowed) attention: scaled dot-product scores s = q·kᵀ/√Dh, but query i
// may attend only to keys within `window` positions of it, |i - j| <= w (option "window",
// default 2), with query i at key position i + (Tk - Tq) as everywhere in the library (mask.h).
// Under a causal mask the window is left-only: i - w <= j <= i.
//
// q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv), weights (B, H, Tq, Tk).
//
// It only ANDs AttentionMask::window into the caller's mask and runs the ordinary scored
// attention (so the normaliser, dropout and masking rules are ScoredAttention's); it does not
// skip the work outside the window: the full Tq×Tk scores are still computed, then masked.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class LocalAttention : public ScoredAttention {
 public:
  explicit LocalAttention(const AttentionConfig& config)
      : ScoredAttention(config), window_(static_cast<int64_t>(config.option("window", 2))) {
    check(window_ >= 0, "local attention: option \"window\" must be >= 0, got {}", config.option("window", 2));
  }

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    return ScoredAttention::forward(q, k, v, mask & local(mask), need_weights);
  }
  AttentionResult forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                   const AttentionMask& mask, bool need_weights) override {
    return ScoredAttention::forward_prepared(q, prepared_keys, v, mask & local(mask), need_weights);
  }
  bool position_tied() const override { return true; }

 private:
  AttentionMask local(const AttentionMask& mask) const {
    return AttentionMask::window(window_, mask.is_causal() ? 0 : window_);
  }

  int64_t window_;
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_local_attention() {
  register_attention(
      "local", "scaled dot-product within a window |i - j| <= w (left-only if causal)",
      [](const AttentionConfig& c) { return std::make_unique<LocalAttention>(c); },
      {{.key = "window", .fallback = 2, .low = 0, .whole = true, .help = "keys each side of the query"}});
}

}  // namespace qkv
