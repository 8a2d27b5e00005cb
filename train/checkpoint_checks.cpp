// checkpoint_checks.cpp — metadata against tensors at load (see checkpoint_checks.h).
#include "train/checkpoint_checks.h"

#include <cmath>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "data/utf8.h"
#include "tensor/error.h"
#include "tensor/factories.h"

namespace qkv::train {
namespace {

// The model-config numbers the tensors must agree with, whatever the architecture.
struct Expected {
  int64_t source_vocab, target_vocab, width;
  const char* width_key;  // "model.d_model" or "model.embedding_dim"
  Dtype dtype;
};

Expected expected_of(const TrainOptions& o) {
  if (o.arch == Arch::rnn) {
    return {o.rnn.source_vocab, o.rnn.target_vocab, o.rnn.embedding_dim, "model.embedding_dim", o.rnn.dtype};
  }
  return {o.model.source_vocab, o.model.target_vocab, o.model.d_model, "model.d_model", o.model.dtype};
}

void check_vocab_sizes(const LoadedCheckpoint& c, const Expected& e) {
  const std::string& path = c.file.path;
  check(c.source->vocab().size() == e.source_vocab,
        "checkpoint '{}': metadata source.vocab has {} tokens but model.source_vocab is {}", path,
        c.source->vocab().size(), e.source_vocab);
  check(c.target->vocab().size() == e.target_vocab,
        "checkpoint '{}': metadata target.vocab has {} tokens but model.target_vocab is {}", path,
        c.target->vocab().size(), e.target_vocab);
}

// `name` (if `required` or present) has exactly `shape`; the message says which config keys it
// follows from.
void check_shape(const Checkpoint& file, const std::string& name, const Shape& shape, const std::string& from,
                 bool required) {
  if (!file.contains(name)) {
    check(!required, "checkpoint '{}': tensor '{}' is missing (expected shape {} from {})", file.path, name, shape,
          from);
    return;
  }
  const Tensor& t = file.at(name);
  check(t.shape() == shape, "checkpoint '{}': tensor '{}' has shape {} but the metadata says {} ({})", file.path, name,
        t.shape(), shape, from);
}

void check_tensors(const LoadedCheckpoint& c, const Expected& e) {
  const Checkpoint& file = c.file;
  const std::string vs = fmt::format("model.source_vocab {}, {} {}", e.source_vocab, e.width_key, e.width);
  const std::string vt = fmt::format("model.target_vocab {}, {} {}", e.target_vocab, e.width_key, e.width);
  const bool shared = c.options.arch == Arch::transformer && c.options.model.share_embeddings;
  const bool tied = c.options.arch == Arch::rnn ? c.options.rnn.tie_output
                                                : c.options.model.tie_output || c.options.model.share_embeddings;
  check_shape(file, "model/source_embedding.weight", Shape{e.source_vocab, e.width}, vs, true);
  check_shape(file, "model/target_embedding.weight", Shape{e.target_vocab, e.width}, vt, !shared);
  check_shape(file, "model/output_projection.weight", Shape{e.target_vocab, e.width}, vt, !tied);
  check_shape(file, "model/output_projection.bias", Shape{e.target_vocab},
              fmt::format("model.target_vocab {}", e.target_vocab), true);
  for (const auto& [name, t] : file.tensors) {
    if (!name.starts_with("model/") || !is_floating(t.dtype())) continue;
    check(t.dtype() == e.dtype, "checkpoint '{}': tensor '{}' is {} but model.dtype is {}", file.path, name, t.dtype(),
          e.dtype);
  }
}

void check_tokenizer_vocab(const LoadedCheckpoint& c) {
  for (const auto& [side, codec] : {std::pair{"source", c.source.get()}, std::pair{"target", c.target.get()}}) {
    if (codec->tokenizer().name() != "whitespace") continue;
    for (int64_t id = 0; id < codec->vocab().size(); ++id) {
      const std::string& token = codec->vocab().token(id);
      const bool spaced = std::any_of(token.begin(), token.end(), data::is_ascii_space);
      check(!spaced,
            "checkpoint '{}': {}.vocab token {} ('{}') holds whitespace, which {}.tokenizer (whitespace) never "
            "produces",
            c.file.path, side, id, token, side);
    }
  }
}

void check_state(const LoadedCheckpoint& c) {
  const TrainingState& s = c.state;
  const std::string& path = c.file.path;
  auto at_least = [&path](const char* key, auto value, auto low) {
    check(value >= low, "checkpoint '{}': metadata state.{} is {}, must be >= {}", path, key, value, low);
  };
  at_least("epoch", s.epoch, 0);
  at_least("batch_in_epoch", s.batch_in_epoch, 0);
  at_least("step", s.step, 0);
  at_least("target_tokens", s.target_tokens, 0);
  at_least("epochs_without_improvement", s.epochs_without_improvement, 0);
  check(std::isfinite(s.train_seconds) && s.train_seconds >= 0,
        "checkpoint '{}': metadata state.train_seconds is {}, must be finite and >= 0", path, s.train_seconds);
  check(s.best_epoch >= -1 && s.best_epoch <= s.epoch,
        "checkpoint '{}': metadata state.best_epoch is {}, must be in -1..state.epoch ({})", path, s.best_epoch,
        s.epoch);
  check(s.best_bleu == -1 || (s.best_bleu >= 0 && s.best_bleu <= 100),
        "checkpoint '{}': metadata state.best_bleu is {}, must be -1 (none yet) or in [0, 100]", path, s.best_bleu);
  static const std::regex step_key(R"(optim/param\.\d+\.step)");
  for (const auto& [name, t] : c.file.tensors) {
    if (!std::regex_match(name, step_key) || t.dtype() != Dtype::int64 || t.numel() != 1) continue;
    const int64_t steps = to_vector<int64_t>(t)[0];
    check(steps <= s.step, "checkpoint '{}': tensor '{}' counts {} optimizer steps but metadata state.step is {}", path,
          name, steps, s.step);
  }
}

}  // namespace

void check_checkpoint_invariants(const LoadedCheckpoint& checkpoint) {
  const Expected e = expected_of(checkpoint.options);
  check_vocab_sizes(checkpoint, e);
  check_tensors(checkpoint, e);
  check_tokenizer_vocab(checkpoint);
  check_state(checkpoint);
}

void require_resumable(const LoadedCheckpoint& checkpoint) {
  const std::string& path = checkpoint.file.path;
  const std::filesystem::path file(path);
  const std::string last = (file.parent_path() / "last.safetensors").string();
  check(!checkpoint.file.metadata.contains("averaged_from"),
        "qkv train: cannot resume from '{}': it is an average of checkpoints (qkv average) and has no optimizer "
        "state; resume from one of the run's own last.safetensors",
        path);
  if (checkpoint.file.metadata.contains("optim.name")) return;
  const std::string name = file.filename().string();
  const bool epoch_snapshot = std::regex_match(name, std::regex(R"(epoch-\d+\.safetensors)"));
  throw Error(fmt::format(
      "qkv train: cannot resume from '{}': it is {} and holds no optimizer state; resume the run from {}, or start "
      "a new run from these weights with --init-from {}",
      path,
      epoch_snapshot ? fmt::format("an epoch snapshot (the weights after epoch {}, written by --keep-checkpoints for "
                                   "qkv average)",
                                   checkpoint.state.epoch)
                     : "a weights-only checkpoint",
      last, path));
}

}  // namespace qkv::train
