// pearson.cpp — Pearson-correlation attention: the similarity of a query and a key is the
// correlation of their Dh coordinates, i.e. the cosine of the two vectors after each is centred
// on its own mean, times a learnable temperature per head:
//
//   s = corr(q, k)/τ = cos(q - mean(q), k - mean(k)) · exp(log_scale)       (B, H, Tq, Tk)
//
// So adding a constant to every coordinate of a query (or key) leaves its scores unchanged, and
// so does scaling it by a positive number; scores lie in [-1/τ, 1/τ]. It is cosine attention
// with centring switched on (the class and its options "scale" and "eps" are in cosine.h), so the
// centred unit keys are prepare_keys as there. A vector with equal coordinates centres to 0 and
// scores 0 (ε keeps it finite), as a constant series has no defined correlation; so with Dh = 1
// every score is 0 and the weights are uniform (not refused: configs probe variants with Dh = 1).
#include "nn/attention/variants/cosine.h"

namespace qkv {
// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_pearson_attention() {
  register_attention(
      "pearson", "Pearson correlation of q and k (cosine of the centred vectors)/τ, learnable τ per head",
      [](const AttentionConfig& c) { return std::make_unique<CosineAttention>(c, "pearson", /*centred=*/true); },
      cosine_options());
}

}  // namespace qkv
