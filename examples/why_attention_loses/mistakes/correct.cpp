// correct.cpp — the baseline: every piece as recipe.h's correct_recipe gives it.
#include "../harness.h"

int main(int argc, char** argv) { return why::run(why::correct_recipe("correct"), argc, argv); }
