// run_messages.h — the longer things qkv train says: why a resumed run has nothing left to do,
// and the final message's "where the outputs are and what to run next".
#pragma once

#include <string>

#include "train/trainer.h"

namespace qkv::train {

// Why a resumed run that has already reached `limit` is refused, naming the flag to raise.
std::string nothing_left_to_do(TrainResult::Stop limit, const std::string& checkpoint_path, const TrainOptions& o,
                               const TrainingState& s);

// The files the run left in its directory, and the commands to use them:
//
//   qkv train: outputs in runs/en-de/: best.safetensors, last.safetensors, metrics.jsonl, ...
//   next:
//     echo "a dog runs on the beach ." | qkv translate --model runs/en-de/best.safetensors
//     qkv eval --model runs/en-de/best.safetensors --source data/multi30k/val.en --reference ... --tokenize none
//     qkv train --resume runs/en-de/last.safetensors   (a run stopped by a limit or Ctrl-C)
std::string what_next(const TrainOptions& o, const TrainResult& result);

}  // namespace qkv::train
