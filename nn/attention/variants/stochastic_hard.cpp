// stochastic_hard.cpp — stochastic hard attention: while training, each query takes the value of
// ONE key, sampled from the attention distribution softmax(s) over its allowed keys; it learns
// through the straight-through Gumbel-softmax estimator (Jang et al. 2017, Maddison et al. 2017).
//
//   s = q·kᵀ/√Dh                                                     (B, H, Tq, Tk)
//   training:  g_ij ~ Gumbel(0, 1) independently, drawn from the variant's generator
//              forward   weights_i = one_hot(argmax_j over allowed (s_ij + g_ij))
//                        — the Gumbel-max trick: key j is chosen with probability softmax(s_i)_j
//              backward  the gradient reaching the weights goes to soft = softmax((s + g)/τ)
//                        over the allowed keys (straight-through); v's gradient is exact
//   eval:      weights_i = one_hot(argmax_j s_ij), the mode of the distribution, with the
//              surrogate softmax(s/τ): `hard` attention's rule (both use hard_choice.h)
//   out = weights·v                                                  (B, H, Tq, Dv)
//
// Options: "tau" (τ > 0, default 1): the temperature of the soft stand-in; it does not change
// which keys are sampled. "straight_through" (default 1); 0 returns the soft Gumbel-softmax
// weights themselves while training (the relaxed sample, no hard choice): with the noise held
// fixed that is an ordinary differentiable function, whose gradient the straight-through one
// equals — the test checks both. Only the softmax normaliser: the sampling is Gumbel-max, which
// draws from a softmax; another normaliser is refused.
//
// Why straight-through Gumbel and not REINFORCE: REINFORCE (the score-function estimator,
// ∇ log p(j)·reward) needs a reward per example — the loss of the sentence that used this
// sample — carried back into the attention, with a baseline to tame its variance. qkv's autograd
// passes only gradients backward, and an attention module never sees the loss, so REINFORCE would
// need plumbing through the model and the trainer. The straight-through estimator is biased, but
// it is an ordinary backward, low in variance, and trains with the same loop as every other
// variant; the forward is still an exact sample.
//
// Randomness: a Generator ("rng", visited so checkpoints save it), seeded in reset_parameters like
// Dropout's. A fully masked row gets zero weights, a zero output and zero gradients. Attention
// dropout (config.dropout) is not applied, as in `hard`: a row's weight is a single key already.
// has_exact_gradient() is false: at eval (how the conformance test runs it) the backward is the
// straight-through surrogate, as for `hard`.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/hard_choice.h"
#include "nn/attention/variant.h"
#include "tensor/elementwise.h"

namespace qkv {
namespace {

// Gumbel(0, 1) noise of `shape`: -log(-log u), u uniform on the open interval (0, 1).
Tensor gumbel_noise(const Shape& shape, Dtype dtype, Generator& gen) {
  Tensor noise = Tensor::empty(shape, Dtype::float64);
  double* g = noise.data<double>();
  for (int64_t i = 0; i < noise.numel(); ++i) {
    const double u = (static_cast<double>(gen.next_u64() >> 11) + 0.5) * 0x1.0p-53;  // 53 bits, never 0 or 1
    g[i] = -std::log(-std::log(u));
  }
  return dtype == Dtype::float64 ? noise : raw::to_dtype(noise, dtype);
}

class StochasticHardAttention : public AttentionVariant {
 public:
  explicit StochasticHardAttention(const AttentionConfig& config)
      : softmax_(find_normaliser("softmax")),
        tau_(config.option("tau", 1.0)),
        straight_through_(config.option("straight_through", 1.0) != 0.0) {
    check(config.normaliser == "softmax",
          "stochastic_hard attention: samples from a softmax (Gumbel-max), so the normaliser must be softmax, got '{}'",
          config.normaliser);
    check(tau_ > 0, "stochastic_hard attention: option \"tau\" must be positive, got {}", tau_);
  }
  void visit(ModuleVisitor& v) override { v.generator("rng", rng_); }
  bool has_exact_gradient() const override { return false; }
  bool uses_normaliser() const override { return true; }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    check_qkv_shapes("stochastic_hard", q, k, v);
    const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
    mask.validate("stochastic_hard attention", B, H, Tq, Tk);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    Tensor s = matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
    if (training()) s = s + gumbel_noise(s.shape(), s.dtype(), rng_);
    const Tensor allowed = mask.allows_everything() ? Tensor() : mask.materialize(B, H, Tq, Tk);
    const Tensor soft = softmax_(s * (1.0 / tau_), allowed);  // (B, H, Tq, Tk)
    const Tensor weights =
        training() && !straight_through_ ? soft : straight_through(first_argmax_one_hot(s, allowed), soft);
    return {matmul(weights, v), need_weights ? weights : Tensor()};
  }

 protected:
  void reset_own_parameters(Generator& gen) override { rng_ = Generator(gen.next_u64()); }

 private:
  Normaliser softmax_;
  double tau_;
  bool straight_through_;
  Generator rng_;
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_stochastic_hard_attention() {
  register_attention(
      "stochastic_hard",
      "one key sampled from softmax(q·kᵀ/√Dh) while training (Gumbel-max), argmax at eval; straight-through "
      "Gumbel-softmax gradient",
      [](const AttentionConfig& c) { return std::make_unique<StochasticHardAttention>(c); },
      {{.key = "tau", .fallback = 1, .low = 0, .low_open = true, .help = "Gumbel-softmax temperature of the gradient"},
       {.key = "straight_through",
        .fallback = 1,
        .low = 0,
        .high = 1,
        .whole = true,
        .help = "0 uses the soft Gumbel-softmax weights forward too"}});
}

}  // namespace qkv
