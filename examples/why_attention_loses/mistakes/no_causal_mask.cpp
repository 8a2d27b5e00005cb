// no_causal_mask.cpp — mistake: the decoder's self-attention masks padding but not the
// future, so in training each target position sees the very token it must predict.
#include "../harness.h"

using namespace qkv;

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("no_causal_mask");
  recipe.masks.decoder_self = [](const Tensor& tgt_is_pad) {
    return why::over_keys(why::negate(tgt_is_pad));  // BUG: no both(causal(T), ...)
  };
  return why::run(recipe, argc, argv);
}
