// fuzz_config_file.cpp — `qkv train --config FILE`: the file's lines read by CLI11's TOML/INI
// reader into qkv train's options (apps/qkv/config_file.h), and the config.toml that a run
// writes (train/options_toml.h) read back the same way.
//
// An input is the file's bytes. Each input is applied twice:
//   1. to the options of the real `qkv train` (add_train, not run), as the command does first;
//   2. to TrainOptions through the same field lists (apps/qkv/field_options.h), so the result
//      can be inspected: options_as_toml of what was read, applied to fresh TrainOptions, must
//      give the same options (the round trip config.toml promises; options_as_toml leaves out
//      --bpe-merges without --tokenizer bpe and empty strings, which read back as defaults).
// A refused file must be refused with qkv::Error (UsageError included), naming the file.
#include <type_traits>

#include "apps/qkv/commands.h"
#include "apps/qkv/config_file.h"
#include "apps/qkv/field_options.h"
#include "fuzz/fuzz_support.h"
#include "train/options_toml.h"

namespace {

using namespace qkv;

// An App named like the subcommand (apply_config_file accepts keys under [train]) whose options
// fill `o`.
void add_all_fields(CLI::App& app, train::TrainOptions& o) {
  cli::add_field_options(app, train::train_recipe_fields, o);
  cli::add_field_options(app, models::transformer_config_fields, o.model);
  cli::add_field_options(app, models::rnn_seq2seq_config_fields, o.rnn);
  cli::add_field_options(app, train::run_control_fields, o);
}

// `o` as config.toml would bring it back: the fields options_as_toml leaves out at their defaults.
train::TrainOptions as_written(train::TrainOptions o) {
  const train::TrainOptions defaults;
  if (o.tokenizer != data::TokenizerKind::bpe) o.bpe_merges = defaults.bpe_merges;
  auto reset_empty = [&](const auto& fields, auto& config, const auto& default_config) {
    models::for_each_field(fields, [&](const auto& f) {
      auto& value = config.*f.member;
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::string>) {
        if (value.empty() || !train::toml_writable(value)) value = default_config.*f.member;
      }
    });
  };
  reset_empty(train::train_recipe_fields, o, defaults);
  reset_empty(train::run_control_fields, o, defaults);
  reset_empty(models::transformer_config_fields, o.model, defaults.model);
  reset_empty(models::rnn_seq2seq_config_fields, o.rnn, defaults.rnn);
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::MemoryFile file, written;
  file.set(fuzz::as_text(data, size));

  {
    CLI::App train{"qkv train", "train"};
    const cli::Command unused = cli::add_train(train);
    fuzz::expect_errors([&] { cli::apply_config_file(train, file.path()); });
  }

  train::TrainOptions o;
  CLI::App app{"qkv train", "train"};
  add_all_fields(app, o);
  if (!fuzz::expect_errors([&] { cli::apply_config_file(app, file.path()); })) return 0;

  written.set(train::options_as_toml(o));
  train::TrainOptions back;
  CLI::App again{"qkv train", "train"};
  add_all_fields(again, back);
  cli::apply_config_file(again, written.path());  // must not throw: qkv wrote this file
  if (back.to_metadata() != as_written(o).to_metadata()) {
    fuzz::property_failed("options_as_toml, read back by apply_config_file, gave other options");
  }
  return 0;
}
