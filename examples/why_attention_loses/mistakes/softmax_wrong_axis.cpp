// softmax_wrong_axis.cpp — mistake: the softmax normalises over the queries (axis -2), not
// over the keys (axis -1): each key's column sums to 1 instead of each query's row.
#include "../harness.h"

using namespace qkv;

Tensor wrong_axis_attention(const why::AttentionCall& call) {
  Tensor scores = matmul(call.q, transpose(call.k, -2, -1)) * (1.0 / std::sqrt(double(call.q.size(-1))));
  scores = masked_fill(scores, why::negate(call.allowed), -INFINITY);
  Tensor weights = softmax(scores, -2);  // BUG: over the queries; must be -1, the keys
  weights = dropout(weights, call.dropout, call.training, *call.gen);
  return matmul(weights, call.v);
}

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("softmax_wrong_axis");
  recipe.attention = wrong_axis_attention;
  return why::run(recipe, argc, argv);
}
