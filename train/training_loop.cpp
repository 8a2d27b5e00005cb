// training_loop.cpp — TrainingRun's loop (training_run.h): epochs of batches, each an update
// (train_step.h) on the whole global batch or, on several ranks, on this rank's share; then its
// accounting (state, metrics.jsonl, progress bar) and the checks for a reason to stop.
#include <filesystem>

#include <fmt/format.h>

#include "tensor/precision.h"
#include "train/interrupt.h"
#include "train/rank_agreement.h"
#include "train/rank_streams.h"
#include "train/run_messages.h"
#include "train/shard.h"
#include "train/time_left.h"
#include "train/training_run.h"

namespace qkv::train {

TrainResult TrainingRun::run() {
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
std::optional<TrainResult::Stop> TrainingRun::train_epoch() {
  const auto plan = data::plan_epoch(train_.lengths(), batch_options(), state_.epoch);
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
StepResult TrainingRun::update(const std::vector<int64_t>& global_batch, double lr) {
  const StepOptions options{.lr = lr, .label_smoothing = o_.label_smoothing, .clip_norm = o_.clip_norm};
  if (dist_.size() == 1) return train_step(*model_, *optimizer_, *train_.fetch_batch(global_batch), options);
  reseed_generators_for_step(*model_, o_.seed, state_.step, dist_.rank());
  Shard shard = shard_of(train_.lengths(), global_batch, dist_.rank(), dist_.size());
  shard.batch = train_.fetch_batch(shard.indices);  // from the ranks that own the pairs
  return train_step(*model_, *optimizer_, shard, *buckets_, dist_, options);
}
std::optional<TrainResult::Stop> TrainingRun::stop_reason() {
  if (agree_on_stop(dist_, interrupt_requested(), state_)) return TrainResult::Stop::interrupted;
  return limit_reached(o_, state_);
}
void TrainingRun::account(const StepResult& step, double lr, ThroughputWindow& throughput, ProgressBar& bar,
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
void TrainingRun::tolerate_a_few_nonfinite_steps(const StepResult& step) {
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
}  // namespace qkv::train
