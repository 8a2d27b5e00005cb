// no_scaling.cpp — mistake: the scores are q·kᵀ, without the 1/√Dh.
#include "../harness.h"

using namespace qkv;

Tensor unscaled_attention(const why::AttentionCall& call) {
  Tensor scores = matmul(call.q, transpose(call.k, -2, -1));  // BUG: no * 1/√Dh
  scores = masked_fill(scores, why::negate(call.allowed), -INFINITY);
  Tensor weights = dropout(softmax(scores, -1), call.dropout, call.training, *call.gen);
  return matmul(weights, call.v);
}

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("no_scaling");
  recipe.attention = unscaled_attention;
  return why::run(recipe, argc, argv);
}
