// checkpoint.h — a training run in one safetensors file: everything `--resume` needs to
// continue exactly where the run stopped, and everything `qkv translate` needs to use it.
//
//   tensors   model/<dotted parameter or buffer name>    the weights (they open in numpy/torch)
//             optim/<key>                                Adam's moments and step counts
//             rng/<dotted generator name>                each dropout generator's state (4 × u64)
//   metadata  format = qkv-training-checkpoint-1
//             train.* and model.*                        TrainOptions (train/train_options.h)
//             optim.*                                    the optimizer's scalars (lr, step, betas …)
//             state.*                                    TrainingState: epoch, batch, step, best BLEU …
//             source.tokenizer, source.vocab, target.*   the text pipelines, as text
//             data.<option key>                          fingerprints of the data files (data_fingerprint.h)
//
// The batch plan of an epoch is a pure function of (seed, epoch) (data/batching.h), so the data
// position is just (epoch, batch_in_epoch). Files are written atomically (io/atomic_file.h);
// loading validates the whole file and names what is wrong, including every invariant between
// the metadata and the tensors (train/checkpoint_checks.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "io/safetensors.h"
#include "models/config_fields.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "train/text_codec.h"
#include "train/train_options.h"

namespace qkv::train {

struct TrainingState {
  int64_t epoch = 0;           // the epoch in progress, from 0
  int64_t batch_in_epoch = 0;  // batches of that epoch already trained
  int64_t step = 0;            // optimizer updates so far
  int64_t target_tokens = 0;   // target tokens trained on so far
  double train_seconds = 0;    // wall time spent in training steps (not validation)
  double best_bleu = -1;       // best validation BLEU so far (-1: none yet)
  int64_t best_epoch = -1;
  int64_t epochs_without_improvement = 0;
  // The data the run trains on (data.<key>, train/data_fingerprint.h); empty in checkpoints
  // written before fingerprints were recorded.
  std::map<std::string, std::string> data;
};

// TrainingState's numbers, saved as state.<key> (models/config_fields.h).
inline constexpr std::tuple training_state_fields{
    models::Field{"epoch", &TrainingState::epoch},
    models::Field{"batch_in_epoch", &TrainingState::batch_in_epoch},
    models::Field{"step", &TrainingState::step},
    models::Field{"target_tokens", &TrainingState::target_tokens},
    models::Field{"train_seconds", &TrainingState::train_seconds},
    models::Field{"best_bleu", &TrainingState::best_bleu},
    models::Field{"best_epoch", &TrainingState::best_epoch},
    models::Field{"epochs_without_improvement", &TrainingState::epochs_without_improvement},
};

// What a checkpoint holds, read back.
struct LoadedCheckpoint {
  TrainOptions options;
  TrainingState state;
  std::shared_ptr<TextCodec> source, target;
  Checkpoint file;  // the raw tensors and metadata, for restore_* below
};

void save_checkpoint(const std::string& path, const TrainOptions& options, const TrainingState& state,
                     const TextCodec& source, const TextCodec& target, Module& model, const Optimizer* optimizer);

LoadedCheckpoint load_checkpoint(const std::string& path);

// Copy the checkpoint's weights / optimizer state / generator states into live objects.
// Each validates everything first and changes nothing on a mismatch.
void restore_model(const LoadedCheckpoint& checkpoint, Module& model);
void restore_optimizer(const LoadedCheckpoint& checkpoint, Optimizer& optimizer);
void restore_generators(const LoadedCheckpoint& checkpoint, Module& model);

}  // namespace qkv::train
