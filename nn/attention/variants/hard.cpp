// hard.cpp — hard attention: each query takes the value of exactly one key, the best-scoring
// allowed one, and learns through the straight-through estimator.
//
//   s = q·kᵀ/√Dh                                             (B, H, Tq, Tk)
//   forward:  weights_ij = 1 if j is the first argmax of s_i over allowed keys, else 0
//             out = weights·v                                (B, H, Tq, Dv)
//   backward: the gradient reaching the weights is passed to soft = normalise(s, mask)
//             (softmax by default, "hard+sigmoid" picks another normaliser), as if the weights
//             had been the soft ones; v's gradient is the exact one, weightsᵀ·dout.
//
// A query row with every key masked gets all-zero weights, a zero output and zero gradients.
// The backward is a surrogate by design, so has_exact_gradient() is false (the conformance test
// then checks the gradients are finite rather than gradchecking them). What it does not do:
// sample (stochastic_hard.cpp does, with the same pieces, hard_choice.h), apply attention
// dropout, or break ties other than by the lowest key index; NaN scores are never chosen.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/hard_choice.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class HardAttention : public AttentionVariant {
 public:
  explicit HardAttention(const AttentionConfig& config) : surrogate_(find_normaliser(config.normaliser)) {}
  void visit(ModuleVisitor&) override {}
  bool has_exact_gradient() const override { return false; }
  bool uses_normaliser() const override { return true; }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    check_qkv_shapes("hard", q, k, v);
    const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
    mask.validate("hard attention", B, H, Tq, Tk);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    const Tensor s = matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
    const Tensor allowed = mask.allows_everything() ? Tensor() : mask.materialize(B, H, Tq, Tk);
    const Tensor hard = first_argmax_one_hot(s, allowed);
    const Tensor weights = straight_through(hard, surrogate_(s, allowed));
    return {matmul(weights, v), need_weights ? weights : Tensor()};
  }

 private:
  Normaliser surrogate_;
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_hard_attention() {
  register_attention("hard", "one-hot argmax of q·kᵀ/√Dh; straight-through (softmax) gradient",
                     [](const AttentionConfig& c) { return std::make_unique<HardAttention>(c); });
}

}  // namespace qkv
