// trainer.cpp — train, train_from and resume (see trainer.h): each gathers its options, data and
// starting point and hands them to a TrainingRun (training_run.h), which checks, trains,
// validates and saves.
#include "train/trainer.h"

#include <filesystem>

#include "train/checkpoint_checks.h"
#include "train/codec_factory.h"
#include "train/run_messages.h"
#include "train/training_run.h"

namespace qkv::train {

const char* to_string(TrainResult::Stop stop) {
  switch (stop) {
    case TrainResult::Stop::finished: return "all epochs done";
    case TrainResult::Stop::early_stopping: return "early stopping";
    case TrainResult::Stop::time_limit: return "time limit";
    case TrainResult::Stop::step_limit: return "step limit";
    case TrainResult::Stop::interrupted: return "interrupted";
  }
  return "?";
}

TrainResult train(const TrainOptions& options) {
  options.validate();
  const data::PairFiles pairs = training_pairs(options);
  TextCodecs codecs = learn_codecs(options, pairs);
  TrainingRun run(options, TrainingState{}, std::move(codecs.source), std::move(codecs.target), pairs, RunStart{});
  return run.run();
}

TrainResult train_from(const TrainOptions& options, const std::string& checkpoint_path) {
  const LoadedCheckpoint checkpoint = load_checkpoint(checkpoint_path);
  const TrainOptions& from = checkpoint.options;
  check(options.arch == from.arch, "qkv train: --init-from '{}': --arch {} differs from the checkpoint's {}",
        checkpoint_path, enum_name(options.arch), enum_name(from.arch));
  options.validate();
  TrainingRun run(options, TrainingState{}, checkpoint.source, checkpoint.target, training_pairs(options),
                  RunStart{.checkpoint = &checkpoint, .path = checkpoint_path});
  return run.run();
}

TrainResult resume(const std::string& checkpoint_path, const RunControl& control) {
  const LoadedCheckpoint checkpoint = load_checkpoint(checkpoint_path);
  require_resumable(checkpoint);
  TrainOptions o = checkpoint.options;
  o.epochs = control.epochs.value_or(o.epochs);
  o.max_minutes = control.max_minutes.value_or(o.max_minutes);
  o.max_steps = control.max_steps.value_or(o.max_steps);
  o.patience = control.patience.value_or(o.patience);
  o.valid_beam = control.valid_beam.value_or(o.valid_beam);
  o.valid_sentences = control.valid_sentences.value_or(o.valid_sentences);
  o.keep_checkpoints = control.keep_checkpoints.value_or(o.keep_checkpoints);
  o.finalize_beam = control.finalize_beam.value_or(o.finalize_beam);
  o.precision = control.precision.value_or(o.precision);
  const std::string checkpoint_dir = std::filesystem::path(checkpoint_path).parent_path().string();
  o.out_dir = !control.out_dir.empty() ? control.out_dir : !checkpoint_dir.empty() ? checkpoint_dir : std::string(".");
  o.progress = control.progress;
  o.quiet = control.quiet;
  o.allow_data_change = control.allow_data_change;
  o.validate();
  const TrainingState& s = checkpoint.state;
  if (const auto limit = limit_reached(o, s)) throw Error(nothing_left_to_do(*limit, checkpoint_path, o, s));
  TrainingRun run(o, checkpoint.state, checkpoint.source, checkpoint.target, training_pairs(o),
                  RunStart{.checkpoint = &checkpoint, .path = checkpoint_path, .resume = true});
  return run.run();
}

}  // namespace qkv::train
