// average.h — checkpoint averaging: one model whose weights are the mean of several
// checkpoints' weights (Vaswani et al. 2017 average the last checkpoints of a run; on small
// data it usually gains a little BLEU over the best single checkpoint, for free).
//
//   qkv average --out runs/x/avg5.safetensors runs/x/epoch-*.safetensors
//
// Every input must be a qkv training checkpoint of the same model (same architecture options,
// same tensor names, shapes and dtypes) with the same text pipelines; anything else is refused
// with the file and the difference named. The result holds the averaged weights (computed in
// float64, stored in each tensor's dtype), the options, text pipelines and training state of the
// last input, and no optimizer state: it translates and evaluates like any checkpoint but
// cannot be resumed (`--resume` says so). Its metadata `averaged_from` lists the inputs.
// The output may not be one of the inputs, and an existing output file is replaced only when
// `overwrite` is true (`qkv average --overwrite`): a user's file is never replaced unasked.
#pragma once

#include <string>
#include <vector>

#include "io/safetensors.h"
#include "train/checkpoint.h"

namespace qkv::train {

// The averaged checkpoint in memory (what average_checkpoints writes): the mean of the loaded
// checkpoints' "model/" tensors, the last one's "rng/" tensors and metadata without "optim.",
// and `averaged_from` listing their paths. Throws naming the files when they differ as models.
Checkpoint average_weights(const std::vector<LoadedCheckpoint>& loaded);

void average_checkpoints(const std::vector<std::string>& inputs, const std::string& output, bool overwrite = false);

}  // namespace qkv::train
