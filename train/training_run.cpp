// training_run.cpp — building a TrainingRun (training_run.h): the data read, encoded and checked,
// the model and optimizer built or restored, then the run's first writes and what it tells the
// user. Nothing is written before every check has passed.
#include "train/training_run.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "io/atomic_file.h"
#include "optim/adam.h"
#include "tensor/blas_kernels.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"
#include "train/checkpoint_checks.h"
#include "train/data_checks.h"
#include "train/data_fingerprint.h"
#include "train/memory_estimate.h"
#include "train/model_factory.h"
#include "train/options_toml.h"

namespace qkv::train {
namespace {

std::vector<data::Example> encode(const data::ParallelCorpus& corpus, const TextCodec& source,
                                  const TextCodec& target) {
  return data::encode_corpus(corpus, source.tokenizer(), target.tokenizer(), source.vocab(), target.vocab());
}

}  // namespace

data::ParallelCorpus read_corpus(const std::string& tsv, const std::string& source, const std::string& target) {
  return tsv.empty() ? data::read_parallel(source, target) : data::read_parallel_tsv(tsv);
}

data::PairFiles training_pairs(const TrainOptions& o) {
  return data::PairFiles(o.train_tsv, o.train_source, o.train_target);
}

std::optional<TrainResult::Stop> limit_reached(const TrainOptions& o, const TrainingState& s) {
  if (s.epoch >= o.epochs) return TrainResult::Stop::finished;
  if (o.max_steps > 0 && s.step >= o.max_steps) return TrainResult::Stop::step_limit;
  if (o.max_minutes > 0 && s.train_seconds >= o.max_minutes * 60) return TrainResult::Stop::time_limit;
  return std::nullopt;
}

TrainingRun::TrainingRun(TrainOptions options, TrainingState state, std::shared_ptr<TextCodec> source,
                         std::shared_ptr<TextCodec> target, const data::PairSource& train, const RunStart& start)
    : o_(std::move(options)),
      state_(state),
      source_(std::move(source)),
      target_(std::move(target)),
      train_(train, *source_, *target_, dist_) {
  // The data first: a run with nothing to train on is refused before it writes anything.
  const data::ParallelCorpus valid = read_corpus(o_.valid_tsv, o_.valid_source, o_.valid_target);
  valid_examples_ = encode(valid, *source_, *target_);
  if (dropped_count() == train_.size()) {
    throw Error(fmt::format(
        "qkv train: all {} training pairs are longer than --max-length {} tokens once tokenised, so there is "
        "nothing to train on; raise --max-length",
        train_.size(), o_.max_length));
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
  begin_writing(start, data_note);  // everything is checked
}

void TrainingRun::begin_writing(const RunStart& start, const std::string& data_note) {
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
  info(fmt::format(
      "qkv train: {} training pairs ({} dropped as longer than {}), {} validation pairs; {:.1f} MB of "
      "token ids and lengths{}",
      train_.size(), dropped_count(), o_.max_length, valid_examples_.size(), static_cast<double>(train_.bytes()) / 1e6,
      dist_.size() > 1 ? fmt::format(" on rank 0, which keeps the ids of 1 pair in {}", dist_.size()) : std::string()));
  info(fmt::format("qkv train: vocabularies {} (source) and {} (target); {} model, {} parameters; out {}",
                   source_->vocab().size(), target_->vocab().size(), enum_name(o_.arch), model_->parameter_count(),
                   o_.out_dir));
  info(dist_.size() > 1
           ? fmt::format("qkv train: {} ranks, {} threads each; {}", dist_.size(), num_threads(), blas::kernels_note())
           : fmt::format("qkv train: {} threads; {}", num_threads(), blas::kernels_note()));
  if (o_.precision == Precision::bf16) {
    info(bf16_products_supported()
             ? "qkv train: bf16 matrix products (bfloat16 operands, fp32 sums; tensor/precision.h)"
             : fmt::format("qkv train: bf16 asked for, but {}: fp32 matrix products", bf16_unsupported_reason()));
  }
}

size_t TrainingRun::dropped_count() const {
  size_t kept = 0;
  for (const auto& b : data::plan_epoch(train_.lengths(), batch_options(), 0)) kept += b.size();
  return train_.size() - kept;
}

}  // namespace qkv::train
