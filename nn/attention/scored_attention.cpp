// scored_attention.cpp — weights = normalise(scores(q, k), mask); out = dropout(weights)·v.
#include "autograd/ops/matmul.h"
#include "nn/attention/variant.h"

namespace qkv {

void check_qkv_shapes(std::string_view variant, const Tensor& q, const Tensor& k, const Tensor& v) {
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && k.size(0) == q.size(0) && v.size(0) == q.size(0) &&
            k.size(1) == q.size(1) && v.size(1) == q.size(1) && v.size(2) == k.size(2) && k.size(3) == q.size(3),
        "{} attention: need q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv), got {}, {}, {}", variant, q.shape(),
        k.shape(), v.shape());
}

ScoredAttention::ScoredAttention(const AttentionConfig& config)
    : config_(config), normalise_(find_normaliser(config.normaliser)), dropout_(config.dropout) {}

AttentionResult ScoredAttention::forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                         bool need_weights) {
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
        "attention: expected q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv), got {}, {}, {}", q.shape(),
        k.shape(), v.shape());
  const int64_t B = q.size(0), H = q.size(1), Tk = k.size(2);
  check(
      k.size(0) == B && v.size(0) == B && k.size(1) == H && v.size(1) == H && v.size(2) == Tk && k.size(3) == q.size(3),
      "attention: q {}, k {} and v {} disagree (need q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv))", q.shape(),
      k.shape(), v.shape());
  mask.validate("attention", B, H, q.size(2), Tk);
  return attend(scores(q, k), v, mask, need_weights);  // scores (B, H, Tq, Tk)
}

AttentionResult ScoredAttention::forward_prepared(const Tensor& q, const Tensor& prepared_keys, const Tensor& v,
                                                  const AttentionMask& mask, bool need_weights) {
  const Tensor& pk = prepared_keys;
  check(q.dim() == 4 && pk.dim() == 4 && v.dim() == 4 && pk.size(0) == q.size(0) && v.size(0) == q.size(0) &&
            pk.size(1) == q.size(1) && v.size(1) == q.size(1) && v.size(2) == pk.size(2),
        "attention (prepared keys): need q (B, H, Tq, Dh), prepared keys (B, H, Tk, ·), v (B, H, Tk, Dv), got {}, {}, "
        "{}",
        q.shape(), pk.shape(), v.shape());
  mask.validate("attention (prepared keys)", q.size(0), q.size(1), q.size(2), pk.size(2));
  return attend(prepared_scores(q, pk), v, mask, need_weights);  // scores (B, H, Tq, Tk)
}

AttentionResult ScoredAttention::attend(const Tensor& s, const Tensor& v, const AttentionMask& mask,
                                        bool need_weights) {
  const int64_t B = s.size(0), H = s.size(1), Tq = s.size(2), Tk = s.size(3);
  const Tensor allowed = mask.allows_everything() ? Tensor() : mask.materialize(B, H, Tq, Tk);
  const Tensor weights = normalise_(s, allowed);    // (B, H, Tq, Tk)
  const Tensor out = matmul(dropout_(weights), v);  // (B, H, Tq, Dv)
  return {out, need_weights ? weights : Tensor()};
}

}  // namespace qkv
