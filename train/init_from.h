// init_from.h — the options of a run that starts from a checkpoint's weights (qkv train
// --init-from CKPT): the data, recipe and run control are the new run's; what fixes the model's
// shape comes from the checkpoint: the architecture, the model config, and the options its
// vocabularies were built with (--tokenizer, --bpe-merges, --min-freq). Dropout may change.
//
//   TrainOptions o = options_for_init_from(parsed, load_checkpoint(path).options, was_given);
//   train_from(o, path);
#pragma once

#include <functional>
#include <string_view>

#include "train/train_options.h"

namespace qkv::train {

// `given` with the checkpoint's model options. A flag that `was_given` (the command line or a
// config file set it) and that would change the model's shape or vocabularies is refused: a
// qkv::Error naming every such flag with its value and the checkpoint's.
TrainOptions options_for_init_from(TrainOptions given, const TrainOptions& checkpoint,
                                   const std::function<bool(std::string_view flag)>& was_given);

}  // namespace qkv::train
