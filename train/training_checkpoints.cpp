// training_checkpoints.cpp — TrainingRun's validation and checkpoints (training_run.h): the one
// best-checkpoint rule, last.safetensors now and then, epoch snapshots for averaging, and
// --finalize at the end. Rank 0 alone validates and writes.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "train/finalize.h"
#include "train/training_run.h"

namespace qkv::train {

void TrainingRun::save_last_now_and_then() {
  if (root() && state_.train_seconds - last_save_seconds_ > kSaveEverySeconds) {
    save_last();
    last_save_seconds_ = state_.train_seconds;
  }
}
void TrainingRun::save_last() {
  if (!root()) return;
  state_.train_seconds = elapsed();
  save_checkpoint(last_path(), o_, state_, *source_, *target_, *model_, optimizer_.get());
}
void TrainingRun::validate_and_keep_best() {
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
Validation TrainingRun::run_validation() {
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
void TrainingRun::save_epoch_snapshot() {
  if (!root()) return;
  save_checkpoint(epoch_path(state_.epoch), o_, state_, *source_, *target_, *model_, nullptr);
  const int64_t expired = state_.epoch - o_.keep_checkpoints;
  if (expired >= 1) std::filesystem::remove(epoch_path(expired));
}
std::string TrainingRun::epoch_path(int64_t epoch) const {
  return fmt::format("{}/epoch-{:03}.safetensors", o_.out_dir, epoch);
}

void TrainingRun::finalize() const {
  FinalizeOptions options;
  options.beam = o_.finalize_beam;
  options.valid_sentences = o_.valid_sentences;
  options.overwrite = true;  // final.safetensors belongs to this run
  finalize_run(o_.out_dir, options, [this](std::string_view line) { info(std::string(line)); });
}
}  // namespace qkv::train
