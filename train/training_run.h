// training_run.h — TrainingRun: everything one run holds while it trains (used by trainer.cpp;
// not a public interface). Its loop (training_loop.cpp) reads: for each batch, train_step
// (train_step.h); account for it; stop if a limit is reached; now and then save. Building it
// (training_run.cpp) reads and checks the data, builds the model and optimizer, and writes
// nothing until every check has passed. Validation and checkpoints are in
// training_checkpoints.cpp.
//
// On several ranks (train/distributed.h) every rank runs this same loop over the same global
// batches, each training on its share (update()); they agree after each step on the clock and
// on Ctrl-C. Only rank 0 writes: the run directory, logs, progress bar, validation and
// checkpoints; after those it tells the others the outcome (rank_agreement.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/batching.h"
#include "data/corpus.h"
#include "data/encoded_corpus.h"
#include "data/pair_source.h"
#include "models/seq2seq.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/evaluate.h"
#include "train/gradient_buckets.h"
#include "train/metrics_log.h"
#include "train/progress_bar.h"
#include "train/rank_corpus.h"
#include "train/run_log.h"
#include "train/text_codec.h"
#include "train/throughput.h"
#include "train/train_step.h"
#include "train/trainer.h"

namespace qkv::train {

// The pairs of --train-tsv / --valid-tsv, or else of the two aligned files, read into memory
// (the validation pairs).
data::ParallelCorpus read_corpus(const std::string& tsv, const std::string& source, const std::string& target);
// The training pairs, read from the files pair by pair on every pass (data/pair_source.h).
data::PairFiles training_pairs(const TrainOptions& o);

// Which of its limits a run has reached, if any: all its epochs, --max-steps or --max-minutes
// (both count the whole run, resumed parts included). The loop asks after every step; resume()
// asks before it starts, to refuse a run that has nothing left to do.
std::optional<TrainResult::Stop> limit_reached(const TrainOptions& o, const TrainingState& s);

// Where a run's weights come from: a fresh seeded initialisation (no checkpoint), the
// checkpoint it resumes (weights, optimizer, generators), or the checkpoint a new run starts
// from (--init-from: weights only).
struct RunStart {
  const LoadedCheckpoint* checkpoint = nullptr;
  std::string path;
  bool resume = false;
};

class TrainingRun {
 public:
  // Checks everything (data, model size, memory, a resumed run's data fingerprints) before the
  // first write; throws qkv::Error naming what is wrong. The training pairs are read once more,
  // into token ids, this rank's share of them (rank_corpus.h); their text is not kept.
  TrainingRun(TrainOptions options, TrainingState state, std::shared_ptr<TextCodec> source,
              std::shared_ptr<TextCodec> target, const data::PairSource& train, const RunStart& start);

  // Trains until a limit, early stopping or Ctrl-C; saves; with --finalize, finalizes.
  TrainResult run();

 private:
  using Clock = std::chrono::steady_clock;

  bool root() const { return dist_.is_root(); }
  // What the user is told: rank 0 tells it (run_log.h); the other ranks stay silent.
  void info(const std::string& line) const {
    if (say_) say_->info(line);
  }
  void outcome(const std::string& line) const {
    if (say_) say_->outcome(line);
  }
  // The run's first writes (rank 0 alone writes): the directory, train.log, metrics.jsonl and
  // config.toml, temporary files of killed runs removed; then what the run is, told.
  void begin_writing(const RunStart& start, const std::string& data_note);

  std::string last_path() const { return o_.out_dir + "/last.safetensors"; }
  std::string best_path() const { return o_.out_dir + "/best.safetensors"; }
  std::string config_path() const { return o_.out_dir + "/config.toml"; }
  std::string epoch_path(int64_t epoch) const;

  double elapsed() const {
    return saved_seconds_ + std::chrono::duration<double>(Clock::now() - session_start_).count();
  }
  data::BatchOptions batch_options() const {
    return {.max_tokens = o_.max_tokens, .max_length = o_.max_length, .shuffle = true, .seed = o_.seed};
  }
  size_t dropped_count() const;  // training pairs longer than --max-length

  // training_loop.cpp
  // Trains the rest of the current epoch; returns why it stopped early, if it did.
  std::optional<TrainResult::Stop> train_epoch();
  // One update on a global batch: in one process on all of it, on several ranks each on its
  // share, with dropout streams drawn per (seed, step, rank) (rank_streams.h).
  StepResult update(const std::vector<int64_t>& global_batch, double lr);
  // Why the run should stop after this step, if it should: Ctrl-C (on any rank), or one of its
  // limits.
  std::optional<TrainResult::Stop> stop_reason();
  // Counts a step in the run's state, metrics.jsonl and the progress bar.
  void account(const StepResult& step, double lr, ThroughputWindow& throughput, ProgressBar& bar,
               int64_t steps_per_epoch);
  // A step with a non-finite loss or gradient was skipped (train_step): say so, and give up
  // after five in a row, which means the run has diverged.
  void tolerate_a_few_nonfinite_steps(const StepResult& step);

  // training_checkpoints.cpp
  // last.safetensors every ten minutes of training, which bounds the work a crash can lose.
  void save_last_now_and_then();
  void save_last();
  // Validates, and applies the one best-checkpoint rule: a validation is better when its BLEU
  // beats the best so far; it then becomes the best and best.safetensors is written. After a
  // whole epoch the validation also counts for early stopping; after a time or step limit
  // part-way through an epoch it does not (the epoch is not done), and the best is credited
  // to the epoch in progress.
  void validate_and_keep_best();
  Validation run_validation();
  // epoch-NNN.safetensors: this epoch's weights without the optimizer state (for `qkv average`);
  // only the newest keep_checkpoints stay.
  void save_epoch_snapshot();
  // --finalize: final.safetensors, the weights and length penalty chosen on validation (finalize.h).
  void finalize() const;

  static constexpr double kSaveEverySeconds = 600;
  static constexpr int64_t kBucketBytes = int64_t{1} << 20;  // gradient buckets: ~1 MB each (docs/distributed.md)

  TrainOptions o_;
  TrainingState state_;
  std::shared_ptr<TextCodec> source_, target_;
  Distributed& dist_ = distributed();
  RankCorpus train_;  // every pair's lengths, this rank's pairs' ids
  std::vector<data::Example> valid_examples_;
  std::vector<std::string> valid_source_, valid_reference_;
  std::unique_ptr<models::Seq2Seq> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<GradientBuckets> buckets_;  // several ranks only
  Schedule schedule_;
  std::unique_ptr<MetricsLog> log_;
  std::unique_ptr<RunLog> say_;
  Clock::time_point session_start_;
  double saved_seconds_ = 0;
  int64_t session_start_step_ = 0;
  double last_save_seconds_ = 0;
  int nonfinite_in_a_row_ = 0;
};

}  // namespace qkv::train
