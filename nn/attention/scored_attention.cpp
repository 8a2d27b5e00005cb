// scored_attention.cpp — weights = normalise(scores(q, k), mask); out = dropout(weights)·v.
#include "autograd/ops/matmul.h"
#include "nn/attention/variant.h"

namespace qkv {

ScoredAttention::ScoredAttention(const AttentionConfig& config)
    : config_(config), normalise_(find_normaliser(config.normaliser)), dropout_(config.dropout) {}

AttentionResult ScoredAttention::forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                         bool need_weights) {
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
        "attention: expected q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv), got {}, {}, {}", q.shape(),
        k.shape(), v.shape());
  const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
  check(k.size(0) == B && v.size(0) == B && k.size(1) == H && v.size(1) == H && v.size(2) == Tk &&
            k.size(3) == q.size(3),
        "attention: q {}, k {} and v {} disagree (need q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv))",
        q.shape(), k.shape(), v.shape());
  mask.validate("attention", B, H, Tq, Tk);
  const Tensor s = scores(q, k);  // (B, H, Tq, Tk)
  const Tensor allowed = mask.allows_everything() ? Tensor() : mask.materialize(B, H, Tq, Tk);
  const Tensor weights = normalise_(s, allowed);     // (B, H, Tq, Tk)
  const Tensor out = matmul(dropout_(weights), v);   // (B, H, Tq, Dv)
  return {out, need_weights ? weights : Tensor()};
}

}  // namespace qkv
