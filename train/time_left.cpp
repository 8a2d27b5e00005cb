// time_left.cpp — the run's time left, from its limits.
#include "train/time_left.h"

#include <algorithm>

namespace qkv::train {

double run_seconds_left(const TrainOptions& o, const TrainingState& s, int64_t steps_per_epoch,
                        double seconds_per_step) {
  int64_t steps = (o.epochs - s.epoch - 1) * steps_per_epoch + (steps_per_epoch - s.batch_in_epoch);
  if (o.max_steps > 0) steps = std::min(steps, o.max_steps - s.step);
  double seconds = static_cast<double>(std::max<int64_t>(steps, 0)) * seconds_per_step;
  if (o.max_minutes > 0) seconds = std::min(seconds, o.max_minutes * 60 - s.train_seconds);
  return std::max(seconds, 0.0);
}

}  // namespace qkv::train
