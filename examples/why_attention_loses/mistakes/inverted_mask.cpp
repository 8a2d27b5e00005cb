// inverted_mask.cpp — mistake: the source padding mask with PyTorch nn.MultiheadAttention's
// polarity (key_padding_mask: true = <pad>, ignore it) handed to an attention that reads
// true = may attend (as F.scaled_dot_product_attention's bool attn_mask does). Every query
// then attends to the padding only; a sentence without padding attends to nothing.
#include "../harness.h"

using namespace qkv;

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("inverted_mask");
  recipe.masks.encoder_self = [](const Tensor& src_is_pad) { return why::over_keys(src_is_pad); };  // BUG: not negated
  recipe.masks.cross = [](const Tensor& src_is_pad) { return why::over_keys(src_is_pad); };         // BUG: likewise
  return why::run(recipe, argc, argv);
}
