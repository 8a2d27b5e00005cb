// no_residual.cpp — mistake: no residual path around attention: x = LN(attention(x)) instead
// of LN(x + attention(x)) (the feed-forward blocks keep theirs). A token's own embedding now
// reaches the next layer only through the attention's value and output projections.
#include "../harness.h"

int main(int argc, char** argv) {
  why::Recipe recipe = why::correct_recipe("no_residual");
  recipe.residual_around_attention = false;  // BUG: LN(attention(x)), no x +
  return why::run(recipe, argc, argv);
}
