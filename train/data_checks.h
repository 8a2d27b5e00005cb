// data_checks.h — checks on the data a run reads, made before it writes anything, for limits
// that would otherwise stop the run part-way (after an epoch of training, at its first
// validation).
//
// Training pairs longer than --max-length tokens are dropped, counted and reported (train.log
// says how many), whatever their length in bytes. Validation pairs are never dropped (the
// score is over the whole set), so a validation pair the model cannot take is an error naming
// the file and line: with the Transformer, a source or target of more than max_positions - 1
// tokens (its position table covers max_positions, bos or eos included). The RNN has no such
// limit. TrainOptions::validate refuses a --max-length over the same bound for training pairs.
#pragma once

#include <vector>

#include "data/batching.h"
#include "data/corpus.h"
#include "train/train_options.h"

namespace qkv::train {

// `examples` are `valid` encoded, one per line. Throws qkv::Error naming the file, the line and
// both lengths.
void check_validation_fits(const TrainOptions& options, const data::ParallelCorpus& valid,
                           const std::vector<data::Example>& examples);

}  // namespace qkv::train
