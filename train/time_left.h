// time_left.h — how long a run has left: the nearest of its limits (all its epochs,
// --max-steps, --max-minutes), at the speed measured so far. The progress bar shows it.
#pragma once

#include <cstdint>

#include "train/checkpoint.h"
#include "train/train_options.h"

namespace qkv::train {

// Seconds of training left after state `s` (which is part-way through epoch s.epoch), with
// `steps_per_epoch` batches per epoch and `seconds_per_step` (validations included) measured.
double run_seconds_left(const TrainOptions& o, const TrainingState& s, int64_t steps_per_epoch,
                        double seconds_per_step);

}  // namespace qkv::train
