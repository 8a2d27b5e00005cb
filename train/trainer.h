// trainer.h — train(): the whole `qkv train` run, from text files to checkpoints.
//
//   read the parallel corpus → learn tokenizers (whitespace or BPE) and vocabularies → encode
//   → for each epoch: batches by token budget (data/batching.h) → train_step (train_step.h):
//     forward, label-smoothed cross-entropy, backward, clip, Adam with a warmup schedule
//   → each epoch: validation loss, perplexity, BLEU and chrF; metrics.jsonl; curves;
//     last.safetensors always, best.safetensors when BLEU improves; early stopping.
// Beside them in the run directory: config.toml (the effective options, which --config reads
// back: options_toml.h) and train.log (what the terminal showed: run_log.h). Refusing a
// directory that holds another run, and its lock, are the caller's (run_directory.h).
//
// A run stops at the end of its epochs, at --max-minutes of wall time or --max-steps updates
// (validating and saving first), at early stopping, or at Ctrl-C (saving last.safetensors).
// resume() loads last.safetensors and continues exactly where it stopped: the same batches,
// dropout masks and optimizer state, so the loss curve equals an uninterrupted run's.
#pragma once

#include <optional>
#include <string>

#include "train/checkpoint.h"
#include "train/train_options.h"

namespace qkv::train {

struct TrainResult {
  enum class Stop { finished, early_stopping, time_limit, step_limit, interrupted };
  Stop stop = Stop::finished;
  TrainingState state;
  std::string last_checkpoint, best_checkpoint;  // paths ("" if never written)
};
const char* to_string(TrainResult::Stop stop);

// A fresh run.
TrainResult train(const TrainOptions& options);

// A new run that starts from the weights of `checkpoint` (--init-from: fine-tuning) and its
// tokenizers and vocabularies, so the model's shape matches; with its own data, recipe and run
// control from `options` and a fresh optimizer, schedule and step count. The model options of
// `options` (arch, model or rnn) must describe the checkpoint's model; dropout may differ
// (model_options_from in init_from.h makes them so). A mismatch is an error naming the tensor.
TrainResult train_from(const TrainOptions& options, const std::string& checkpoint);

// What a resumed run may change. Data, model and recipe always come from the checkpoint; so do
// the run-control options left unset here. max_minutes and max_steps count the whole run,
// including the part before the checkpoint.
struct RunControl {
  std::optional<int64_t> epochs{}, max_steps{}, patience{}, valid_beam{}, valid_sentences{}, keep_checkpoints{},
      finalize_beam{};
  std::optional<double> max_minutes{};
  std::optional<Precision> precision{};
  std::string out_dir{};  // "": the checkpoint's own directory
  bool progress = true;
  bool quiet = false;
  bool allow_data_change = false;  // resume even if the data files changed (train/data_fingerprint.h)
};

// Continues the run saved in `checkpoint`. A run that has already reached one of its limits
// (its epochs, max_minutes or max_steps) is refused with a message naming the limit to raise,
// rather than "continued" for zero steps.
TrainResult resume(const std::string& checkpoint, const RunControl& control);

}  // namespace qkv::train
