// postnorm_no_warmup.cpp — mistake: a post-norm Transformer (LayerNorm after each residual
// sum, as the 2017 paper and torch.nn.Transformer's default) trained at its peak learning rate
// from the first step, without the warmup it needs.
#include "../harness.h"

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("postnorm_no_warmup");
  recipe.warmup = false;  // BUG: post-norm needs the learning rate ramped up
  return why::run(recipe, argc, argv);
}
