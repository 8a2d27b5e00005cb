// dropout_at_eval.cpp — mistake: dropout on the attention weights is applied always, also
// when the model translates (eval mode), because the attention ignores the training flag.
#include "../harness.h"

using namespace qkv;

Tensor always_dropout_attention(const why::AttentionCall& call) {
  Tensor scores = matmul(call.q, transpose(call.k, -2, -1)) * (1.0 / std::sqrt(double(call.q.size(-1))));
  scores = masked_fill(scores, why::negate(call.allowed), -INFINITY);
  Tensor weights = dropout(softmax(scores, -1), call.dropout, /*training=*/true, *call.gen);  // BUG: call.training
  return matmul(weights, call.v);
}

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("dropout_at_eval");
  recipe.attention = always_dropout_attention;
  return why::run(recipe, argc, argv);
}
