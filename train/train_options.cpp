// train_options.cpp — TrainOptions <-> checkpoint metadata, and validation.
#include "train/train_options.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {
namespace {

// Every option as (name, pointer) once, so saving and loading cannot drift apart.
template <class Options, class F>
void for_each_option(Options& o, F&& f) {
  f("train_source", o.train_source);
  f("train_target", o.train_target);
  f("valid_source", o.valid_source);
  f("valid_target", o.valid_target);
  f("train_tsv", o.train_tsv);
  f("valid_tsv", o.valid_tsv);
  f("arch", o.arch);
  f("tokenizer", o.tokenizer);
  f("bpe_merges", o.bpe_merges);
  f("min_freq", o.min_freq);
  f("max_length", o.max_length);
  f("max_tokens", o.max_tokens);
  f("lr", o.lr);
  f("warmup_steps", o.warmup_steps);
  f("schedule", o.schedule);
  f("decay_steps", o.decay_steps);
  f("beta2", o.beta2);
  f("weight_decay", o.weight_decay);
  f("label_smoothing", o.label_smoothing);
  f("clip_norm", o.clip_norm);
  f("seed", o.seed);
  f("epochs", o.epochs);
  f("max_minutes", o.max_minutes);
  f("max_steps", o.max_steps);
  f("patience", o.patience);
  f("valid_beam", o.valid_beam);
  f("valid_sentences", o.valid_sentences);
  f("keep_checkpoints", o.keep_checkpoints);
  f("out_dir", o.out_dir);
}

std::string to_text(const std::string& v) { return v; }
std::string to_text(int64_t v) { return std::to_string(v); }
std::string to_text(uint64_t v) { return std::to_string(v); }
std::string to_text(double v) { return fmt::format("{:.17g}", v); }

void from_text(const std::string& key, const std::string& text, std::string& v) { v = text; }
template <class T>
void from_text(const std::string& key, const std::string& text, T& v) {
  try {
    size_t used = 0;
    if constexpr (std::is_same_v<T, double>)
      v = std::stod(text, &used);
    else if constexpr (std::is_same_v<T, uint64_t>)
      v = std::stoull(text, &used);
    else
      v = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw Error(fmt::format("checkpoint metadata: option '{}' has the unreadable value '{}'", key, text));
  }
}

}  // namespace

std::map<std::string, std::string> TrainOptions::to_metadata() const {
  std::map<std::string, std::string> out;
  for_each_option(*this,
                  [&](const char* name, const auto& value) { out[fmt::format("train.{}", name)] = to_text(value); });
  for (const auto& [k, v] : arch == "rnn" ? rnn.to_metadata() : model.to_metadata()) out["model." + k] = v;
  return out;
}

TrainOptions TrainOptions::from_metadata(const std::map<std::string, std::string>& metadata) {
  TrainOptions o;
  for_each_option(o, [&](const char* name, auto& value) {
    const std::string key = fmt::format("train.{}", name);
    const auto it = metadata.find(key);
    // Older checkpoints: a Transformer, trained with the inverse square root schedule.
    if (it == metadata.end() && (key == "train.arch" || key == "train.schedule" || key == "train.decay_steps")) return;
    if (it == metadata.end()) throw Error(fmt::format("checkpoint metadata: the option '{}' is missing", key));
    from_text(key, it->second, value);
  });
  std::map<std::string, std::string> model;
  for (const auto& [k, v] : metadata) {
    if (k.starts_with("model.")) model[k.substr(6)] = v;
  }
  if (o.arch == "rnn") {
    o.rnn = models::RnnSeq2SeqConfig::from_metadata(model);
  } else {
    o.model = models::TransformerConfig::from_metadata(model);
  }
  return o;
}

void TrainOptions::validate() const {
  auto check = [](bool ok, const char* name, auto value, const char* rule) {
    if (!ok) throw Error(fmt::format("qkv train: --{} must be {}, got {}", name, rule, value));
  };
  check(arch == "transformer" || arch == "rnn", "arch", arch, "'transformer' or 'rnn'");
  check(tokenizer == "whitespace" || tokenizer == "bpe", "tokenizer", tokenizer, "'whitespace' or 'bpe'");
  check(bpe_merges > 0, "bpe-merges", bpe_merges, "> 0");
  check(min_freq >= 1, "min-freq", min_freq, ">= 1");
  check(max_length >= 1, "max-length", max_length, ">= 1");
  check(max_tokens >= 8, "max-tokens", max_tokens, ">= 8");
  check(lr > 0 && lr < 10, "lr", lr, "in (0, 10)");
  check(warmup_steps >= 1, "warmup", warmup_steps, ">= 1");
  check(schedule == "inverse-sqrt" || schedule == "cosine", "schedule", schedule, "'inverse-sqrt' or 'cosine'");
  if (schedule == "cosine") {
    check(decay_steps > warmup_steps, "decay-steps", decay_steps,
          fmt::format("above --warmup ({}) with --schedule cosine", warmup_steps).c_str());
  } else {
    check(decay_steps == 0, "decay-steps", decay_steps, "0 (it is for --schedule cosine)");
  }
  check(beta2 > 0 && beta2 < 1, "beta2", beta2, "in (0, 1)");
  check(weight_decay >= 0, "weight-decay", weight_decay, ">= 0");
  check(label_smoothing >= 0 && label_smoothing < 1, "label-smoothing", label_smoothing, "in [0, 1)");
  check(clip_norm >= 0, "clip-norm", clip_norm, ">= 0");
  check(epochs >= 1, "epochs", epochs, ">= 1");
  check(max_minutes >= 0, "max-minutes", max_minutes, ">= 0");
  check(max_steps >= 0, "max-steps", max_steps, ">= 0");
  check(patience >= 0, "patience", patience, ">= 0");
  check(valid_beam >= 1, "valid-beam", valid_beam, ">= 1");
  check(valid_sentences >= 0, "valid-sentences", valid_sentences, ">= 0");
  check(keep_checkpoints >= 0, "keep-checkpoints", keep_checkpoints, ">= 0");
  check(!out_dir.empty(), "out-dir", "''", "a directory");
  const bool files = !train_source.empty() && !train_target.empty();
  check(files || !train_tsv.empty(), "train-source", "''", "given (with --train-target), or --train-tsv");
}

}  // namespace qkv::train
