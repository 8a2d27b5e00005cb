// model_factory.h — the model a run's options describe: a Transformer or an RnnSeq2Seq (by
// options.arch) built from the matching config. Parameters are allocated, not initialised
// (reset_parameters or a checkpoint fills them).
#pragma once

#include <memory>

#include "models/seq2seq.h"
#include "train/train_options.h"

namespace qkv::train {

// Throws qkv::Error for an invalid config (vocabulary sizes included).
std::unique_ptr<models::Seq2Seq> make_model(const TrainOptions& options);

}  // namespace qkv::train
