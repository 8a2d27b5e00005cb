// checks.h — five quick checks run on a program's model before it trains, each the in-program
// form of a check qkv runs on its own attention (named in docs/why-attention-loses.md):
//
//   reference  the hand-written layer equals qkv's MultiHeadAttention on the same weights, with
//              qkv's masks, in eval mode (key padding; causal + key padding; cross-attention)
//   causal     in eval mode, changing target tokens after position t leaves the logits up to t
//   padding    in eval mode, a sentence's logits do not change when a longer sentence pads it
//   finite     one training step's loss and every gradient are finite
//   init       attention at initialisation is not one-hot: the mean over query rows of the
//              largest weight (first encoder layer, 1/√Dh scaling, real batch) is below 0.9
//
// They do not train anything and leave the model's weights and random streams as they found
// them, so a program trains the same with or without them.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace why {

struct CheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // the measured value, e.g. "max |diff| 3.1e-01 of the largest value"
};

std::vector<CheckResult> run_checks(HandTransformer& model, const Recipe& recipe, const ModelShape& shape,
                                    const std::vector<qkv::data::Example>& examples, const qkv::data::Batch& batch);

}  // namespace why
