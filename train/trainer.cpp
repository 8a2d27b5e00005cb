// trainer.cpp — the training loop and everything around it (see trainer.h): reading the data,
// building the model and optimizer, then for each batch the update (train_step.h), its
// accounting (state, metrics.jsonl, progress bar), the run's limits, validation with the one
// best-checkpoint rule, and checkpoints.
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "autograd/engine.h"
#include "data/batching.h"
#include "data/corpus.h"
#include "io/atomic_file.h"
#include "optim/adam.h"
#include "optim/schedule.h"
#include "tensor/blas_kernels.h"
#include "tensor/parallel.h"
#include "train/checkpoint_checks.h"
#include "train/codec_factory.h"
#include "train/data_checks.h"
#include "train/data_fingerprint.h"
#include "train/distributed.h"
#include "train/evaluate.h"
#include "train/finalize.h"
#include "train/gradient_buckets.h"
#include "train/interrupt.h"
#include "train/memory_estimate.h"
#include "train/metrics_log.h"
#include "train/model_factory.h"
#include "train/options_toml.h"
#include "train/progress_bar.h"
#include "train/rank_agreement.h"
#include "train/rank_streams.h"
#include "train/run_log.h"
#include "train/run_messages.h"
#include "train/shard.h"
#include "train/throughput.h"
#include "train/time_left.h"
#include "train/train_step.h"

namespace qkv::train {
namespace {

using Clock = std::chrono::steady_clock;

data::ParallelCorpus read_corpus(const std::string& tsv, const std::string& source, const std::string& target) {
  return tsv.empty() ? data::read_parallel(source, target) : data::read_parallel_tsv(tsv);
}

std::vector<data::Example> encode(const data::ParallelCorpus& corpus, const TextCodec& source,
                                  const TextCodec& target) {
  return data::encode_corpus(corpus, source.tokenizer(), target.tokenizer(), source.vocab(), target.vocab());
}

// The training corpus as compact ids (data/encoded_corpus.h); its text is freed here.
data::EncodedCorpus encode_and_free(data::ParallelCorpus&& corpus, const TextCodec& source, const TextCodec& target) {
  data::EncodedCorpus ids =
      data::encode_compact(corpus, source.tokenizer(), target.tokenizer(), source.vocab(), target.vocab());
  corpus = data::ParallelCorpus{};
  return ids;
}

// Which of its limits a run has reached, if any: all its epochs, --max-steps or --max-minutes
// (both count the whole run, resumed parts included). The loop asks after every step; resume()
// asks before it starts, to refuse a run that has nothing left to do.
std::optional<TrainResult::Stop> limit_reached(const TrainOptions& o, const TrainingState& s) {
  if (s.epoch >= o.epochs) return TrainResult::Stop::finished;
  if (o.max_steps > 0 && s.step >= o.max_steps) return TrainResult::Stop::step_limit;
  if (o.max_minutes > 0 && s.train_seconds >= o.max_minutes * 60) return TrainResult::Stop::time_limit;
  return std::nullopt;
}

// Where a run's weights come from: a fresh seeded initialisation (no checkpoint), the
// checkpoint it resumes (weights, optimizer, generators), or the checkpoint a new run starts
// from (--init-from: weights only).
struct Start {
  const LoadedCheckpoint* checkpoint = nullptr;
  std::string path;
  bool resume = false;
};

// Everything one run holds while it trains. Its loop, train_epoch(), reads: for each batch,
// train_step (train_step.h); account for it; stop if a limit is reached; now and then save.
//
// On several ranks (train/distributed.h) every rank runs this same loop over the same global
// batches, each training on its share (update()); they agree after each step on the clock and
// on Ctrl-C. Only rank 0 writes: the run directory, logs, progress bar, validation and
// checkpoints; after those it tells the others the outcome (rank_agreement.h).
class Run {
 public:
  Run(TrainOptions options, TrainingState state, std::shared_ptr<TextCodec> source, std::shared_ptr<TextCodec> target,
      data::ParallelCorpus&& train, const Start& start)
      : o_(std::move(options)),
        state_(state),
        source_(std::move(source)),
        target_(std::move(target)),
        train_examples_(encode_and_free(std::move(train), *source_, *target_)) {
    // The data first: a run with nothing to train on is refused before it writes anything.
    const data::ParallelCorpus valid = read_corpus(o_.valid_tsv, o_.valid_source, o_.valid_target);
    valid_examples_ = encode(valid, *source_, *target_);
    if (dropped_count() == train_examples_.size()) {
      throw Error(fmt::format(
          "qkv train: all {} training pairs are longer than --max-length {} tokens once tokenised, so there is "
          "nothing to train on; raise --max-length",
          train_examples_.size(), o_.max_length));
    }
    check_validation_fits(o_, valid, valid_examples_);
    o_.model.source_vocab = o_.rnn.source_vocab = source_->vocab().size();
    o_.model.target_vocab = o_.rnn.target_vocab = target_->vocab().size();
    check_fits_in_memory(o_);
    const DataFingerprints data = fingerprint_data(o_);
    const std::string data_note =
        start.resume ? check_resumed_data(start.path, o_, state_.data, data, o_.allow_data_change) : "";
    state_.data = data;
    const size_t n =
        o_.valid_sentences > 0 ? std::min(valid.size(), static_cast<size_t>(o_.valid_sentences)) : valid.size();
    valid_source_.assign(valid.source.begin(), valid.source.begin() + static_cast<std::ptrdiff_t>(n));
    valid_reference_.assign(valid.target.begin(), valid.target.begin() + static_cast<std::ptrdiff_t>(n));

    model_ = make_model(o_);
    Generator init(o_.seed);
    model_->reset_parameters(init);
    const std::vector<Tensor> params = model_->parameters();
    if (o_.weight_decay > 0) {
      optimizer_ = std::make_unique<AdamW>(
          params, AdamWOptions{.lr = o_.lr, .beta2 = o_.beta2, .eps = 1e-9, .weight_decay = o_.weight_decay});
    } else {
      optimizer_ = std::make_unique<Adam>(params, AdamOptions{.lr = o_.lr, .beta2 = o_.beta2, .eps = 1e-9});
    }
    schedule_ = o_.schedule == LrSchedule::cosine ? cosine_lr(o_.lr, o_.decay_steps, o_.warmup_steps, 0.0)
                                                  : warmup_inverse_sqrt_lr(o_.lr, o_.warmup_steps);
    if (start.checkpoint != nullptr) restore_model(*start.checkpoint, *model_);
    if (start.resume) {
      restore_optimizer(*start.checkpoint, *optimizer_);
      restore_generators(*start.checkpoint, *model_);
    }
    if (dist_.size() > 1) buckets_ = std::make_unique<GradientBuckets>(params, dist_, kBucketBytes);
    // Everything is checked: the run's first writes (rank 0 alone writes).
    if (root()) {
      std::filesystem::create_directories(o_.out_dir);
      say_ = std::make_unique<RunLog>(o_.out_dir + "/train.log", o_.quiet, start.resume);
    }
    if (start.resume) {
      info(fmt::format("qkv train: resuming {} at epoch {}, batch {}, step {}", start.path, state_.epoch + 1,
                       state_.batch_in_epoch, state_.step));
    } else if (start.checkpoint != nullptr) {
      info(
          fmt::format("qkv train: a new run from the weights and vocabularies of {} (its step {}); a fresh "
                      "optimizer and schedule",
                      start.path, start.checkpoint->state.step));
    }
    if (!data_note.empty()) info(data_note);
    if (root()) {
      for (const RemovedFile& f : remove_orphaned_temp_files(o_.out_dir)) {
        info(fmt::format("qkv train: removed {} ({} bytes), a temporary file left by a killed run", f.name, f.bytes));
      }
      log_ = std::make_unique<MetricsLog>(o_.out_dir + "/metrics.jsonl", start.resume ? state_.step : -1);
      write_options_toml(o_, config_path());
    }
    info(fmt::format("qkv train: {} training pairs ({} dropped as longer than {}), {} validation pairs",
                     train_examples_.size(), dropped_count(), o_.max_length, valid_examples_.size()));
    info(fmt::format("qkv train: vocabularies {} (source) and {} (target); {} model, {} parameters; out {}",
                     source_->vocab().size(), target_->vocab().size(), enum_name(o_.arch), model_->parameter_count(),
                     o_.out_dir));
    info(dist_.size() > 1 ? fmt::format("qkv train: {} ranks, {} threads each; {}", dist_.size(), num_threads(),
                                        blas::kernels_note())
                          : fmt::format("qkv train: {} threads; {}", num_threads(), blas::kernels_note()));
    if (o_.precision == Precision::bf16) {
      info(bf16_products_supported()
               ? "qkv train: bf16 matrix products (bfloat16 operands, fp32 sums; tensor/precision.h)"
               : fmt::format("qkv train: bf16 asked for, but {}: fp32 matrix products", bf16_unsupported_reason()));
    }
  }

  TrainResult run() {
    const PrecisionGuard precision(o_.precision);  // training steps and validation decoding
    watch_for_interrupt();
    session_start_ = Clock::now();
    saved_seconds_ = state_.train_seconds;
    session_start_step_ = state_.step;
    TrainResult result;
    while (state_.epoch < o_.epochs) {
      if (const auto stop = train_epoch()) {  // part-way through the epoch
        result.stop = *stop;
        if (*stop == TrainResult::Stop::interrupted) {
          outcome(fmt::format("qkv train: interrupted; saving {}", last_path()));
        } else {
          validate_and_keep_best();
        }
        save_last();
        share_root_state(dist_, state_);
        break;
      }
      validate_and_keep_best();
      save_last();
      if (o_.keep_checkpoints > 0) save_epoch_snapshot();
      share_root_state(dist_, state_);
      if (o_.patience > 0 && state_.epochs_without_improvement >= o_.patience) {
        result.stop = TrainResult::Stop::early_stopping;
        break;
      }
    }
    result.state = state_;
    result.last_checkpoint = last_path();
    result.best_checkpoint = std::filesystem::exists(best_path()) ? best_path() : "";
    outcome(fmt::format("qkv train: stopped ({}) after {} steps, {} epochs, {}; best validation BLEU {:.2f} (epoch {})",
                        to_string(result.stop), state_.step, state_.epoch, format_duration(state_.train_seconds),
                        std::max(0.0, state_.best_bleu), state_.best_epoch + 1));
    if (o_.finalize_beam > 0 && root() && result.stop != TrainResult::Stop::interrupted) finalize();
    outcome(what_next(o_, result));
    return result;
  }

 private:
  bool root() const { return dist_.is_root(); }
  // --finalize: final.safetensors, the weights and length penalty chosen on validation (finalize.h).
  void finalize() const {
    FinalizeOptions options;
    options.beam = o_.finalize_beam;
    options.valid_sentences = o_.valid_sentences;
    options.overwrite = true;  // final.safetensors belongs to this run
    finalize_run(o_.out_dir, options, [this](std::string_view line) { info(std::string(line)); });
  }
  // What the user is told: rank 0 tells it (run_log.h); the other ranks stay silent.
  void info(const std::string& line) const {
    if (say_) say_->info(line);
  }
  void outcome(const std::string& line) const {
    if (say_) say_->outcome(line);
  }

  std::string last_path() const { return o_.out_dir + "/last.safetensors"; }
  std::string best_path() const { return o_.out_dir + "/best.safetensors"; }
  std::string config_path() const { return o_.out_dir + "/config.toml"; }

  double elapsed() const {
    return saved_seconds_ + std::chrono::duration<double>(Clock::now() - session_start_).count();
  }

  data::BatchOptions batch_options() const {
    return {.max_tokens = o_.max_tokens, .max_length = o_.max_length, .shuffle = true, .seed = o_.seed};
  }
  size_t dropped_count() const {
    size_t kept = 0;
    for (const auto& b : data::plan_epoch(train_examples_, batch_options(), 0)) kept += b.size();
    return train_examples_.size() - kept;
  }

  // Trains the rest of the current epoch; returns why it stopped early, if it did.
  std::optional<TrainResult::Stop> train_epoch() {
    const auto plan = data::plan_epoch(train_examples_, batch_options(), state_.epoch);
    ProgressBar bar(fmt::format("epoch {}/{}", state_.epoch + 1, o_.epochs), static_cast<int64_t>(plan.size()),
                    o_.progress && !o_.quiet && root());
    ThroughputWindow throughput;
    model_->train();
    while (state_.batch_in_epoch < static_cast<int64_t>(plan.size())) {
      const double lr = schedule_(state_.step);
      const StepResult step = update(plan[static_cast<size_t>(state_.batch_in_epoch)], lr);
      account(step, lr, throughput, bar, static_cast<int64_t>(plan.size()));
      if (const auto stop = stop_reason()) {
        bar.finish();
        return stop;
      }
      save_last_now_and_then();
    }
    bar.finish();
    ++state_.epoch;
    state_.batch_in_epoch = 0;
    return std::nullopt;
  }

  // One update on a global batch: in one process on all of it, on several ranks each on its
  // share, with dropout streams drawn per (seed, step, rank) (rank_streams.h).
  StepResult update(const std::vector<int64_t>& global_batch, double lr) {
    const StepOptions options{.lr = lr, .label_smoothing = o_.label_smoothing, .clip_norm = o_.clip_norm};
    if (dist_.size() == 1)
      return train_step(*model_, *optimizer_, data::make_batch(train_examples_, global_batch), options);
    reseed_generators_for_step(*model_, o_.seed, state_.step, dist_.rank());
    const Shard shard = shard_of(train_examples_, global_batch, dist_.rank(), dist_.size());
    return train_step(*model_, *optimizer_, shard, *buckets_, dist_, options);
  }

  // Why the run should stop after this step, if it should: Ctrl-C (on any rank), or one of its
  // limits.
  std::optional<TrainResult::Stop> stop_reason() {
    if (agree_on_stop(dist_, interrupt_requested(), state_)) return TrainResult::Stop::interrupted;
    return limit_reached(o_, state_);
  }

  // Counts a step in the run's state, metrics.jsonl and the progress bar.
  void account(const StepResult& step, double lr, ThroughputWindow& throughput, ProgressBar& bar,
               int64_t steps_per_epoch) {
    tolerate_a_few_nonfinite_steps(step);
    ++state_.step;
    ++state_.batch_in_epoch;
    state_.target_tokens += step.target_tokens;
    state_.train_seconds = elapsed();
    const double tokens_per_s = throughput.add(static_cast<double>(step.target_tokens + step.source_tokens));
    if (!root()) return;
    log_->append({.kind = "train",
                  .epoch = state_.epoch,
                  .step = state_.step,
                  .loss = step.loss,
                  .lr = lr,
                  .grad_norm = step.grad_norm,
                  .tokens = static_cast<double>(step.target_tokens),
                  .tokens_per_s = tokens_per_s,
                  .elapsed = state_.train_seconds});
    const auto session_steps = static_cast<double>(state_.step - session_start_step_);
    const double seconds_per_step = (state_.train_seconds - saved_seconds_) / session_steps;
    bar.update(state_.batch_in_epoch,
               fmt::format("loss {:.3f}  lr {:.1e}  {:.1f}k tok/s  {} elapsed", step.loss, lr, tokens_per_s / 1000,
                           format_duration(state_.train_seconds)),
               run_seconds_left(o_, state_, steps_per_epoch, seconds_per_step));
  }

  // A step with a non-finite loss or gradient was skipped (train_step): say so, and give up
  // after five in a row, which means the run has diverged.
  void tolerate_a_few_nonfinite_steps(const StepResult& step) {
    if (step.applied) {
      nonfinite_in_a_row_ = 0;
      return;
    }
    check(++nonfinite_in_a_row_ < 5,
          "qkv train: loss {} / gradient norm {} not finite for 5 steps in a row at step {} "
          "(try a lower --lr or more --warmup); the last checkpoint is {}",
          step.loss, step.grad_norm, state_.step, last_path());
    if (say_)
      say_->problem(fmt::format("qkv train: step {} skipped: loss {} / gradient norm {} is not finite", state_.step,
                                step.loss, step.grad_norm));
  }

  // last.safetensors every ten minutes of training, which bounds the work a crash can lose.
  void save_last_now_and_then() {
    if (root() && state_.train_seconds - last_save_seconds_ > kSaveEverySeconds) {
      save_last();
      last_save_seconds_ = state_.train_seconds;
    }
  }

  // Validates, and applies the one best-checkpoint rule: a validation is better when its BLEU
  // beats the best so far; it then becomes the best and best.safetensors is written. After a
  // whole epoch the validation also counts for early stopping; after a time or step limit
  // part-way through an epoch it does not (the epoch is not done), and the best is credited
  // to the epoch in progress.
  void validate_and_keep_best() {
    if (!root()) return;
    const Validation v = run_validation();
    const bool whole_epoch = state_.batch_in_epoch == 0;
    const bool better = v.bleu > state_.best_bleu;
    if (better) {
      state_.best_bleu = v.bleu;
      state_.best_epoch = whole_epoch ? state_.epoch - 1 : state_.epoch;
    }
    if (whole_epoch) state_.epochs_without_improvement = better ? 0 : state_.epochs_without_improvement + 1;
    if (better) save_checkpoint(best_path(), o_, state_, *source_, *target_, *model_, optimizer_.get());
  }

  // epoch-NNN.safetensors: this epoch's weights without the optimizer state (for `qkv average`);
  // only the newest keep_checkpoints stay.
  void save_epoch_snapshot() {
    if (!root()) return;
    save_checkpoint(epoch_path(state_.epoch), o_, state_, *source_, *target_, *model_, nullptr);
    const int64_t expired = state_.epoch - o_.keep_checkpoints;
    if (expired >= 1) std::filesystem::remove(epoch_path(expired));
  }
  std::string epoch_path(int64_t epoch) const { return fmt::format("{}/epoch-{:03}.safetensors", o_.out_dir, epoch); }

  Validation run_validation() {
    const auto start = Clock::now();
    const models::DecodeOptions decode{.beam_size = o_.valid_beam};
    const Validation v =
        validate(*model_, valid_examples_, *source_, *target_, valid_source_, valid_reference_, decode, o_.max_tokens);
    state_.train_seconds = elapsed();
    log_->append({.kind = "valid",
                  .epoch = state_.epoch,
                  .step = state_.step,
                  .loss = v.loss,
                  .ppl = v.ppl,
                  .bleu = v.bleu,
                  .chrf = v.chrf,
                  .elapsed = state_.train_seconds});
    log_->save_plots(o_.out_dir);
    const bool partial = state_.batch_in_epoch > 0;  // a time or step limit stopped the epoch part-way
    info(fmt::format(
        "epoch {:>3}{} step {:>6}  valid loss {:.3f}  ppl {:.2f}  BLEU {:.2f}  chrF {:.2f}  ({:.0f} s to validate, "
        "{} elapsed)",
        partial ? state_.epoch + 1 : state_.epoch, partial ? "~" : " ", state_.step, v.loss, v.ppl, v.bleu, v.chrf,
        std::chrono::duration<double>(Clock::now() - start).count(), format_duration(state_.train_seconds)));
    return v;
  }

  void save_last() {
    if (!root()) return;
    state_.train_seconds = elapsed();
    save_checkpoint(last_path(), o_, state_, *source_, *target_, *model_, optimizer_.get());
  }

  static constexpr double kSaveEverySeconds = 600;
  static constexpr int64_t kBucketBytes = int64_t{1} << 20;  // gradient buckets: ~1 MB each (docs/distributed.md)

  TrainOptions o_;
  TrainingState state_;
  std::shared_ptr<TextCodec> source_, target_;
  Distributed& dist_ = distributed();
  data::EncodedCorpus train_examples_;
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

}  // namespace

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
  data::ParallelCorpus corpus = read_corpus(options.train_tsv, options.train_source, options.train_target);
  TextCodecs codecs = learn_codecs(options, corpus);
  Run run(options, TrainingState{}, std::move(codecs.source), std::move(codecs.target), std::move(corpus), Start{});
  return run.run();
}

TrainResult train_from(const TrainOptions& options, const std::string& checkpoint_path) {
  const LoadedCheckpoint checkpoint = load_checkpoint(checkpoint_path);
  const TrainOptions& from = checkpoint.options;
  check(options.arch == from.arch, "qkv train: --init-from '{}': --arch {} differs from the checkpoint's {}",
        checkpoint_path, enum_name(options.arch), enum_name(from.arch));
  options.validate();
  Run run(options, TrainingState{}, checkpoint.source, checkpoint.target,
          read_corpus(options.train_tsv, options.train_source, options.train_target),
          Start{.checkpoint = &checkpoint, .path = checkpoint_path});
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
  Run run(o, checkpoint.state, checkpoint.source, checkpoint.target,
          read_corpus(o.train_tsv, o.train_source, o.train_target),
          Start{.checkpoint = &checkpoint, .path = checkpoint_path, .resume = true});
  return run.run();
}

}  // namespace qkv::train
