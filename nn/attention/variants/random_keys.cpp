// random_keys.cpp — random sampled keys: while training, each query attends to a random subset
// of the keys it is allowed to see, drawn afresh at every forward; scores are scaled dot-product
// s = q·kᵀ/√Dh, normalised over the subset only. Unlike `strided`, whose subset is a fixed
// pattern, the subset here is random, so over training every key gets seen.
//
//   training: for each (b, h, i), S = min(samples, n_allowed) keys drawn uniformly without
//             replacement among the keys the caller's mask allows (option "samples", default 8);
//             weights = normalise(s, mask ∧ subset);  out = dropout(weights)·v
//   eval:     every allowed key, i.e. exactly scaled_dot (no sampling at all)
//
// Sampling among the allowed keys (not among all keys, then masking) means a row never ends up
// with nothing allowed unless the caller's mask already left it empty (then it is zero, as
// everywhere); causal and padding masks hold by construction.
//
// Randomness: the variant owns a Generator ("rng", visited so a checkpoint saves its position),
// seeded in reset_parameters from the generator given there, like Dropout: the same seed gives
// the same subsets in the same order.
//
// Why all keys at evaluation: the subset is a training-time device, as dropout is — it makes each
// query learn from a different few keys at every step. At evaluation there is no reason to throw
// information away: a fixed subset derived from the seed would make a translation depend on the
// seed and on where a query sits in its batch, and this implementation would not even be faster
// for it. What it does not do: skip the work outside the subset — the subset is a (B, H, Tq, Tk)
// mask over the full scores, so its cost is scaled_dot's (composed path) plus the draw.
#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"
#include "tensor/views.h"

namespace qkv {
namespace {

class RandomKeysAttention : public ScoredAttention {
 public:
  explicit RandomKeysAttention(const AttentionConfig& config)
      : ScoredAttention(config), samples_(static_cast<int64_t>(config.option("samples", 8))) {
    check(samples_ >= 1, "random_keys attention: option \"samples\" must be >= 1, got {}", config.option("samples", 8));
  }

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    check(q.dim() == 4 && k.dim() == 4,
          "random_keys attention: need q (B, H, Tq, Dh) and k (B, H, Tk, Dh), got {} and {}", q.shape(), k.shape());
    return ScoredAttention::forward(q, k, v, sampled(mask, q, k.size(2)), need_weights);
  }
  AttentionResult forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                   const AttentionMask& mask, bool need_weights) override {
    check(q.dim() == 4 && prepared_keys.dim() == 4,
          "random_keys attention: need q (B, H, Tq, Dh) and keys (B, H, Tk, Dh), got {} and {}", q.shape(),
          prepared_keys.shape());
    return ScoredAttention::forward_prepared(q, prepared_keys, v, sampled(mask, q, prepared_keys.size(2)),
                                             need_weights);
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.generator("rng", rng_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override { rng_ = Generator(gen.next_u64()); }

 private:
  // While training, the caller's mask ANDed with a fresh random subset; at eval, the mask itself.
  AttentionMask sampled(const AttentionMask& mask, const Tensor& q, int64_t tk) {
    if (!training()) return mask;
    const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2);
    mask.validate("random_keys attention", B, H, Tq, tk);
    return mask & AttentionMask::allowing(draw_subset(mask, B, H, Tq, tk));
  }

  // (B, H, Tq, Tk) bool: per row, min(samples, n_allowed) of the allowed keys, uniformly
  // without replacement (a partial Fisher–Yates shuffle of the allowed indices).
  Tensor draw_subset(const AttentionMask& mask, int64_t B, int64_t H, int64_t Tq, int64_t Tk) {
    const Tensor allowed = mask.allows_everything()
                               ? Tensor()
                               : raw::contiguous(raw::expand(mask.materialize(B, H, Tq, Tk), {B, H, Tq, Tk}));
    const bool* a = allowed.defined() ? allowed.data<bool>() : nullptr;
    Tensor subset = Tensor::empty({B, H, Tq, Tk}, Dtype::bool_);
    bool* out = subset.data<bool>();
    std::fill(out, out + subset.numel(), false);
    std::vector<int64_t> candidates;
    for (int64_t row = 0; row < B * H * Tq; ++row) {
      candidates.clear();
      for (int64_t j = 0; j < Tk; ++j) {
        if (!a || a[row * Tk + j]) candidates.push_back(j);
      }
      const int64_t n = static_cast<int64_t>(candidates.size());
      const int64_t take = std::min(samples_, n);
      for (int64_t t = 0; t < take; ++t) {
        const int64_t pick = t + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(n - t)));
        std::swap(candidates[t], candidates[pick]);
        out[row * Tk + candidates[t]] = true;
      }
    }
    return subset;
  }

  int64_t samples_;
  Generator rng_;
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_random_keys_attention() {
  register_attention(
      "random_keys",
      "scaled dot-product over a random subset of the allowed keys per query while training, all keys at eval",
      [](const AttentionConfig& c) { return std::make_unique<RandomKeysAttention>(c); },
      {{.key = "samples", .fallback = 8, .low = 1, .whole = true, .help = "keys drawn per query while training"}});
}

}  // namespace qkv
