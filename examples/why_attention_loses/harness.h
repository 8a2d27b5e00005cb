// harness.h — trains a Recipe's model (model.h) on the bundled Multi30k for a fixed number of
// steps, scores it, and prints one row of the table in docs/why-attention-loses.md.
//
//   why_<mistake> [--steps 400] [--max-tokens 800] [--valid-sentences 500] [--data DIR]
//   why_<mistake> --checks-only [--expect-failed reference,causal]
//
// The same for every program: the data (data/multi30k, whitespace tokens, vocabularies of the
// tokens seen twice), the model shape (d 128, 4 heads, 2 + 2 layers, feed-forward 256, dropout
// 0.1 and 0.1 on the attention weights), the batches (about --max-tokens tokens, seed 1), the
// initialisation seed, Adam (β2 0.98, ε 1e-9), peak learning rate 2e-3 reached after
// steps/5 warmup steps then 1/√step decay, gradients clipped to norm 1, no label smoothing.
// A step whose loss or gradient is not finite is skipped (counted as a NaN step).
//
// Reported: the checks (checks.h), the training loss (mean over the last steps/20 steps) at
// steps/8, /4, /2 and the end, the validation loss (teacher-forced, eval mode) and greedy
// BLEU on the first --valid-sentences validation sentences (tokenised text, as multi-bleu;
// at most 50 words a sentence).
// --checks-only runs the checks and exits 1 unless exactly the --expect-failed ones failed.
#pragma once

#include "recipe.h"

namespace why {

int run(const Recipe& recipe, int argc, char** argv);

}  // namespace why
