// train_options.cpp — TrainOptions <-> checkpoint metadata, and validation, from its field lists.
#include "train/train_options.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {

std::map<std::string, std::string> TrainOptions::to_metadata() const {
  std::map<std::string, std::string> out;
  models::write_fields(train_option_fields, *this, models::DoubleText::digits17, out, "train.");
  // The raw-text tokenizer options only where a run uses them, so that the metadata of every
  // other run is the text it always was (from_metadata reads their absence as the defaults).
  if (tokenizer != data::TokenizerKind::rawbpe && tokenizer != data::TokenizerKind::sentencepiece)
    out.erase("train.vocab_size");
  if (spm_model.empty()) out.erase("train.spm_model");
  if (tokenizer != data::TokenizerKind::sentencepiece || !spm_model.empty()) out.erase("train.spm_type");
  if (!joint_vocab) out.erase("train.joint_vocab");
  if (subword_max_pairs == TrainOptions{}.subword_max_pairs) out.erase("train.subword_max_pairs");
  if (precision == Precision::fp32) out.erase("train.precision");
  if (finalize_beam == 0) out.erase("train.finalize_beam");
  for (const auto& [k, v] : arch == Arch::rnn ? rnn.to_metadata() : model.to_metadata()) out["model." + k] = v;
  return out;
}

TrainOptions TrainOptions::from_metadata(const std::map<std::string, std::string>& metadata) {
  TrainOptions o;
  // Older checkpoints have no arch (a Transformer), no schedule (inverse-sqrt, no decay_steps)
  // and no raw-text tokenizer options (separate vocabularies); fp32 runs have no precision, runs without --finalize no
  // finalize_beam, runs with the default --subword-max-pairs (all runs before it existed) none.
  models::read_fields(train_option_fields, models::MetadataReader("checkpoint metadata", metadata), o, "train.",
                      {"arch", "schedule", "decay_steps", "vocab_size", "spm_model", "spm_type", "joint_vocab",
                       "subword_max_pairs", "precision", "finalize_beam"});
  std::map<std::string, std::string> model;
  for (const auto& [k, v] : metadata) {
    if (k.starts_with("model.")) model[k.substr(6)] = v;
  }
  if (o.arch == Arch::rnn) {
    o.rnn = models::RnnSeq2SeqConfig::from_metadata(model);
  } else {
    o.model = models::TransformerConfig::from_metadata(model);
  }
  return o;
}

void TrainOptions::validate() const {
  models::check_ranges(train_option_fields, *this, "qkv train", /*by_flag=*/true);
  auto check = [](bool ok, const char* name, auto value, const std::string& rule) {
    if (!ok) throw Error(fmt::format("qkv train: --{} must be {}, got {}", name, rule, value));
  };
  if (schedule == LrSchedule::cosine) {
    check(decay_steps > warmup_steps, "decay-steps", decay_steps,
          fmt::format("above --warmup ({}) with --schedule cosine", warmup_steps));
  } else {
    check(decay_steps == 0, "decay-steps", decay_steps, "0 (it is for --schedule cosine)");
  }
  if (arch == Arch::transformer) {
    check(max_length < model.max_positions, "max-length", max_length,
          fmt::format("below the Transformer's max_positions ({}), which its position table covers with bos or eos",
                      model.max_positions));
  }
  check(!out_dir.empty(), "out-dir", "''", "a directory");
  if (arch == Arch::transformer && model.share_embeddings && !joint_vocab) {
    throw Error(
        "qkv train: --share-embeddings (one embedding matrix for source, target and output) needs --joint-vocab "
        "(one vocabulary for both sides); with --no-joint-vocab give --no-share-embeddings too");
  }
  check(spm_model.empty() || tokenizer == data::TokenizerKind::sentencepiece, "spm-model", spm_model,
        "used with --tokenizer sentencepiece");
  if (precision == Precision::bf16 && !bf16_products_built()) {
    throw Error(
        "qkv train: --precision bf16: qkv was built without oneDNN, which computes the bf16 products; "
        "install libdnnl-dev and rebuild qkv, or use --precision fp32");
  }
  const bool files = !train_source.empty() && !train_target.empty();
  check(files || !train_tsv.empty(), "train-source", "''", "given (with --train-target), or --train-tsv");
  // The model's own rules (attention variants and their options, heads dividing d_model) before
  // any data is read. Its vocabulary sizes come from the data: equal stand-ins take their place.
  if (arch == Arch::transformer) {
    models::TransformerConfig m = model;
    m.source_vocab = m.target_vocab = 8;
    m.validate();
  } else {
    models::RnnSeq2SeqConfig r = rnn;
    r.source_vocab = r.target_vocab = 8;
    r.validate();
  }
}

}  // namespace qkv::train
