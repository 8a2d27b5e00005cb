// masked_rows_nan.cpp — mistake: a row with no allowed key becomes NaN. Two pieces that are
// each common and each harmless alone:
//   - the padding mask also blocks the <pad> *queries* (mask = real_q ∧ real_k), so a padded
//     position's row has no allowed key;
//   - the softmax written out as exp(s - max s)/Σ, which for a row of -inf computes
//     exp(-inf - -inf) = exp(NaN) (torch.softmax does the same; qkv's softmax returns zeros).
// The NaN of a <pad> row then reaches every row through the next layer's values (0·NaN = NaN).
#include "../harness.h"

using namespace qkv;

Tensor handmade_softmax_attention(const why::AttentionCall& call) {
  Tensor scores = matmul(call.q, transpose(call.k, -2, -1)) * (1.0 / std::sqrt(double(call.q.size(-1))));
  scores = masked_fill(scores, why::negate(call.allowed), -INFINITY);
  Tensor e = exp(scores - max(scores, -1, /*keepdim=*/true));  // BUG: -inf - -inf = NaN on an empty row
  Tensor weights = dropout(e / sum(e, {-1}, true), call.dropout, call.training, *call.gen);
  return matmul(weights, call.v);
}

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("masked_rows_nan");
  recipe.attention = handmade_softmax_attention;
  recipe.masks.encoder_self = [](const Tensor& src_is_pad) {
    const Tensor real = why::negate(src_is_pad);                                   // (B, S)
    const Tensor real_q = raw::reshape(real, {real.size(0), 1, real.size(1), 1});  // BUG: <pad> queries blocked
    return why::both(real_q, why::over_keys(real));                                // (B, 1, S, S)
  };
  return why::run(recipe, argc, argv);
}
