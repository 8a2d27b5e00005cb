// correct_pieces.cpp — the correct attention, masks and initialisation (recipe.h), the
// baseline every mistake program changes one piece of.
#include <cmath>
#include <limits>

#include "recipe.h"

namespace why {

using namespace qkv;

Tensor scaled_dot_attention(const AttentionCall& call) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(call.q.size(-1)));
  Tensor scores = matmul(call.q, transpose(call.k, -2, -1)) * scale;  // (B, H, Tq, Tk)
  if (call.allowed.defined())
    scores = masked_fill(scores, negate(call.allowed), -std::numeric_limits<double>::infinity());
  Tensor weights = softmax(scores, -1);                                // over the keys
  weights = dropout(weights, call.dropout, call.training, *call.gen);  // identity in eval
  return matmul(weights, call.v);                                      // (B, H, Tq, Dh)
}

MaskRules correct_masks() {
  MaskRules rules;
  rules.encoder_self = [](const Tensor& src_is_pad) { return over_keys(negate(src_is_pad)); };
  rules.cross = [](const Tensor& src_is_pad) { return over_keys(negate(src_is_pad)); };
  rules.decoder_self = [](const Tensor& tgt_is_pad) {
    return both(causal(tgt_is_pad.size(1)), over_keys(negate(tgt_is_pad)));
  };
  return rules;
}

void xavier_projection(Linear& projection, Generator& gen) {
  init_xavier_uniform_(projection.weight(), gen);
  init_constant_(projection.bias(), 0.0);
}

Recipe correct_recipe(std::string name) {
  Recipe recipe;
  recipe.name = std::move(name);
  recipe.attention = scaled_dot_attention;
  recipe.masks = correct_masks();
  recipe.init_projection = xavier_projection;
  return recipe;
}

Tensor over_keys(const Tensor& per_key) {
  return raw::reshape(per_key, {per_key.size(0), 1, 1, per_key.size(1)});  // (B, 1, 1, S)
}

Tensor causal(int64_t t) {
  const Tensor i = raw::reshape(arange(t, Dtype::int64), {t, 1});
  const Tensor j = raw::reshape(arange(t, Dtype::int64), {1, t});
  return raw::reshape(raw::le(j, i), {1, 1, t, t});  // key j <= query i
}

Tensor negate(const Tensor& mask) { return raw::logical_not(mask); }
Tensor both(const Tensor& a, const Tensor& b) { return raw::logical_and(a, b); }

}  // namespace why
