// wrong_init_scale.cpp — mistake: the attention projections drawn from N(0, 1) (a bare randn),
// instead of a scale that keeps the output's variance (Xavier: ±√(6/(fan_in + fan_out))).
// Each projection multiplies the activations' size by about √D, so the scores are huge and
// the softmax is one-hot from the first step.
#include "../harness.h"

using namespace qkv;

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("wrong_init_scale");
  recipe.init_projection = [](Linear& projection, Generator& gen) {
    init_normal_(projection.weight(), gen, 0.0, 1.0);  // BUG: std 1, not ~1/√D
    init_constant_(projection.bias(), 0.0);
  };
  return why::run(recipe, argc, argv);
}
