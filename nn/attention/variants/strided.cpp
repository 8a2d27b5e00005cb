// strided.cpp — strided sparse attention (the "strided" pattern of Child et al. 2019, Sparse
// Transformers): scaled dot-product scores s = q·kᵀ/√Dh, but query i (at key position
// p = i + (Tk - Tq), mask.h) may attend only to key j when
//
//   |p - j| <= band                 a local band (option "band", default stride - 1), or
//   (p - j) is a multiple of s      every s-th key counted back (and forward) from itself
//                                   (option "stride", default 3)
//
// ANDed with the caller's mask; under a causal mask this is exactly Child et al.'s strided
// pattern (the previous `band` keys plus every s-th earlier key). A query always sees its own
// position (p - p = 0), so the pattern alone never empties a row.
//
// q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv), weights (B, H, Tq, Tk).
//
// What it does not do: it does not sample keys at random (the subset is the same in training
// and eval, so it is deterministic), and it does not skip the masked work: the pattern is a
// (1, 1, Tq, Tk) mask over the full scores.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class StridedAttention : public ScoredAttention {
 public:
  explicit StridedAttention(const AttentionConfig& config)
      : ScoredAttention(config),
        stride_(static_cast<int64_t>(config.option("stride", 3))),
        band_(static_cast<int64_t>(config.option("band", static_cast<double>(stride_ - 1)))) {
    check(stride_ >= 1 && band_ >= 0, "strided attention: need option \"stride\" >= 1 and \"band\" >= 0, got {} and {}",
          stride_, band_);
  }

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    check(q.dim() == 4 && k.dim() == 4, "strided attention: need q (B, H, Tq, Dh) and k (B, H, Tk, Dh), got {} and {}",
          q.shape(), k.shape());
    return ScoredAttention::forward(q, k, v, mask & AttentionMask::allowing(pattern(q.size(2), k.size(2))),
                                    need_weights);
  }
  AttentionResult forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                   const AttentionMask& mask, bool need_weights) override {
    check(q.dim() == 4 && prepared_keys.dim() == 4,
          "strided attention: need q (B, H, Tq, Dh) and keys (B, H, Tk, Dh), "
          "got {} and {}",
          q.shape(), prepared_keys.shape());
    const auto subset = AttentionMask::allowing(pattern(q.size(2), prepared_keys.size(2)));
    return ScoredAttention::forward_prepared(q, prepared_keys, v, mask & subset, need_weights);
  }
  bool position_tied() const override { return true; }

  // (1, 1, Tq, Tk) bool, true = key j is in query i's subset.
  Tensor pattern(int64_t tq, int64_t tk) const {
    Tensor allowed = Tensor::empty({1, 1, tq, tk}, Dtype::bool_);
    bool* a = allowed.data<bool>();
    for (int64_t i = 0; i < tq; ++i) {
      const int64_t p = i + (tk - tq);
      for (int64_t j = 0; j < tk; ++j) {
        const int64_t d = p - j;
        a[i * tk + j] = (d <= band_ && d >= -band_) || d % stride_ == 0;
      }
    }
    return allowed;
  }

 private:
  int64_t stride_;
  int64_t band_;
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_strided_attention() {
  register_attention(
      "strided", "scaled dot-product over a local band plus every s-th key (Sparse Transformer)",
      [](const AttentionConfig& c) { return std::make_unique<StridedAttention>(c); },
      {{.key = "stride", .fallback = 3, .low = 1, .whole = true, .help = "every s-th key"},
       {.key = "band", .fallback_text = "stride - 1", .low = 0, .whole = true, .help = "keys each side always seen"}});
}

}  // namespace qkv
