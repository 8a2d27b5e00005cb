// no_key_padding_mask.cpp — mistake: no source padding mask at all. The encoder's queries and
// the decoder's cross-attention also attend to the <pad> positions of shorter sentences, so a
// sentence's translation depends on how long the others in its batch are.
#include "../harness.h"

using namespace qkv;

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("no_key_padding_mask");
  recipe.masks.encoder_self = [](const Tensor&) { return Tensor(); };  // BUG: every key allowed, <pad> too
  recipe.masks.cross = [](const Tensor&) { return Tensor(); };         // BUG: likewise
  return why::run(recipe, argc, argv);
}
