// concat.cpp — the "concat" score without a nonlinearity: a linear layer on [q; k],
//     s = w·[q; k] + b  =  w_qᵀq + w_kᵀk + b,    w = [w_q; w_k].
// We compute the decomposition rather than the concatenation: q·w_q (B, H, Tq, 1) plus
// (k·w_k)ᵀ (B, H, 1, Tk) plus b broadcast to (B, H, Tq, Tk) — no (Tq, Tk, 2Dh) tensor.
// Per head: parameters "weight" (H, 2·Dh) — the first Dh columns are w_q, the rest w_k — and
// "bias" (H), initialised like a Linear(2·Dh → 1): uniform on ±1/√(2·Dh).
//
// Note: without a nonlinearity the score is separable, so softmax over the keys cancels the
// query term and the bias: every query gets the same weights. That is the point of D2L's
// discussion of why additive attention needs its tanh; this is kept as the classic baseline.
// (With the sigmoid normaliser the query term does matter.)
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

class ConcatAttention : public ScoredAttention {
 public:
  explicit ConcatAttention(const AttentionConfig& c)
      : ScoredAttention(c),
        weight_(make_parameter({c.num_heads, 2 * c.head_dim}, c.dtype)),
        bias_(make_parameter({c.num_heads}, c.dtype)) {}

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const int64_t heads = config_.num_heads, dh = config_.head_dim;
    check(q.size(1) == heads && q.size(-1) == dh, "concat attention: built for {} heads of width {}, got q {}", heads,
          dh, q.shape());
    const Tensor w_q = unsqueeze(narrow(weight_, 1, 0, dh), -1);      // (H, Dh, 1)
    const Tensor w_k = unsqueeze(narrow(weight_, 1, dh, dh), -1);     // (H, Dh, 1)
    const Tensor query_term = matmul(q, w_q);                         // (B, H, Tq, 1)
    const Tensor key_term = transpose(matmul(k, w_k), -1, -2);        // (B, H, 1, Tk)
    return query_term + key_term + reshape(bias_, {1, heads, 1, 1});  // (B, H, Tq, Tk)
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("weight", weight_);
    v.parameter("bias", bias_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(static_cast<double>(2 * config_.head_dim));
    init_uniform_(weight_, gen, -bound, bound);
    init_uniform_(bias_, gen, -bound, bound);
  }

 private:
  Tensor weight_;  // (H, 2·Dh): [w_q | w_k]
  Tensor bias_;    // (H)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_concat_attention() {
  register_attention("concat", "w·[q; k] + b, linear and separable (the baseline)",
                     [](const AttentionConfig& c) { return std::make_unique<ConcatAttention>(c); });
}

}  // namespace qkv
