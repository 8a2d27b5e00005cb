// init_from.cpp — checkpoint model options over the new run's, refusing flags that conflict.
#include "train/init_from.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error.h"

namespace qkv::train {
namespace {

// The options a checkpoint's weights do not fix.
bool may_change(std::string_view key) { return key == "dropout" || key == "attention_dropout"; }

// For each field of `fields` that has a flag: a conflict if the flag was given with a value
// other than the checkpoint's; then the checkpoint's value, unless the field may change and
// was given.
template <class Config, class Fields>
void take_from_checkpoint(const Fields& fields, Config& run, const Config& checkpoint,
                          const std::function<bool(std::string_view)>& was_given, std::vector<std::string>& conflicts) {
  models::for_each_field(fields, [&](const auto& f) {
    auto& value = run.*f.member;
    const auto& fixed = checkpoint.*f.member;
    const bool given = f.flag[0] != '\0' && was_given(f.flag_name());
    if (given && may_change(f.key)) return;
    if (given && value != fixed) {
      conflicts.push_back(fmt::format("{} {} (the checkpoint has {})", f.flag_name(),
                                      models::field_text(value, models::DoubleText::shortest),
                                      models::field_text(fixed, models::DoubleText::shortest)));
    }
    value = fixed;
  });
}

}  // namespace

TrainOptions options_for_init_from(TrainOptions given, const TrainOptions& checkpoint,
                                   const std::function<bool(std::string_view flag)>& was_given) {
  std::vector<std::string> conflicts;
  // What the vocabularies were built with, and the architecture.
  auto take = [&](const char* flag, auto& run, const auto& fixed) {
    if (was_given(flag) && run != fixed) {
      conflicts.push_back(fmt::format("{} {} (the checkpoint has {})", flag,
                                      models::field_text(run, models::DoubleText::shortest),
                                      models::field_text(fixed, models::DoubleText::shortest)));
    }
    run = fixed;
  };
  take("--arch", given.arch, checkpoint.arch);
  take("--tokenizer", given.tokenizer, checkpoint.tokenizer);
  take("--bpe-merges", given.bpe_merges, checkpoint.bpe_merges);
  take("--vocab-size", given.vocab_size, checkpoint.vocab_size);
  take("--spm-model", given.spm_model, checkpoint.spm_model);
  take("--spm-type", given.spm_type, checkpoint.spm_type);
  take("--joint-vocab", given.joint_vocab, checkpoint.joint_vocab);
  take("--min-freq", given.min_freq, checkpoint.min_freq);
  if (given.arch == Arch::rnn) {
    take_from_checkpoint(models::rnn_seq2seq_config_fields, given.rnn, checkpoint.rnn, was_given, conflicts);
  } else {
    take_from_checkpoint(models::transformer_config_fields, given.model, checkpoint.model, was_given, conflicts);
  }
  if (!conflicts.empty()) {
    throw Error(fmt::format(
        "qkv train: --init-from: the model's shape and vocabularies come from the checkpoint, and {} would change "
        "them: {} (leave them out; dropout may change)",
        conflicts.size() == 1 ? "this option" : "these options", fmt::join(conflicts, ", ")));
  }
  return given;
}

}  // namespace qkv::train
