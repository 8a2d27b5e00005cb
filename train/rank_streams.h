// rank_streams.h — dropout's random streams in data-parallel training.
//
// One process draws its dropout masks from the model's generators, which continue from step to
// step (and are saved in checkpoints). With several ranks, each rank must draw different masks
// for its different examples, and a run must be the same every time for a given (seed, N). So
// before each step every rank reseeds each of the model's generators from
// (seed, step, rank, generator index): nothing to save, and a run resumed on the same number
// of ranks draws exactly the masks the uninterrupted run would have.
#pragma once

#include <cstdint>

#include "nn/module.h"

namespace qkv::train {

void reseed_generators_for_step(Module& model, uint64_t seed, int64_t step, int rank);

}  // namespace qkv::train
