// cmd_train.cpp — `qkv train`: flags (or a config file) into TrainOptions, then train or resume.
// The flags are made from the options' field lists (field_options.h). The model flags come in
// two sets, one per --arch: the Transformer's (--d-model, --heads, ...) and the RNN's (--rnn-*);
// giving a flag of the other architecture is an error that says so. --resume continues a run;
// --init-from starts a new one from a checkpoint's weights (train/init_from.h). A new run
// refuses an --out-dir that holds another run and locks it while it trains (run_directory.h).
// What neither the command line nor --config gives comes from the recipe of the run's
// architecture (train/recipe.h), which --help shows as the defaults.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "apps/qkv/commands.h"
#include "apps/qkv/config_file.h"
#include "apps/qkv/field_options.h"
#include "tensor/error.h"
#include "tensor/parallel.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/init_from.h"
#include "train/interrupt.h"
#include "train/options_toml.h"
#include "train/recipe.h"
#include "train/run_directory.h"
#include "train/trainer.h"

namespace qkv::cli {
namespace {

// The exit status of a run: 0 when it ended by itself, 128 + the signal when Ctrl-C (130) or
// SIGTERM (143) stopped it after saving, as a shell reports a process the signal killed.
int exit_status(const train::TrainResult& result) {
  return result.stop == train::TrainResult::Stop::interrupted ? 128 + train::interrupt_signal() : 0;
}

// Every data, recipe and run-control option that was not `given` takes the recipe's value.
void take_recipe_where_not_given(train::TrainOptions& o, const train::TrainOptions& recipe,
                                 const std::function<bool(std::string_view)>& given) {
  auto take = [&](const auto& fields) {
    models::for_each_field(fields, [&](const auto& f) {
      if (f.flag[0] != '\0' && !given(f.flag_name())) o.*f.member = recipe.*f.member;
    });
  };
  take(train::train_recipe_fields);
  take(train::run_control_fields);
}

}  // namespace

Command add_train(CLI::App& app) {
  // The flags' defaults are the Transformer's recipe (train/recipe.h); an RNN run takes the
  // RNN's recipe for what it is not given (below).
  auto o = std::make_shared<train::TrainOptions>(train::default_recipe(train::Arch::transformer));
  auto resume = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto init_from = std::make_shared<std::string>();
  auto overwrite = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  app.add_option("--config", *config,
                 "read options from a TOML/INI file (keys are the long flag names, e.g. lr = 0.001; the command line "
                 "wins)")
      ->check(CLI::ExistingFile);
  CLI::Option* resume_option = app.add_option(
      "--resume", *resume, "continue the run saved in this checkpoint (usually <out-dir>/last.safetensors)");
  app.add_option("--init-from", *init_from,
                 "start a new run from this checkpoint's weights and vocabularies (fine-tuning): new data, recipe and "
                 "run control, a fresh optimizer; the model options come from the checkpoint")
      ->check(CLI::ExistingFile)
      ->excludes(resume_option);
  // The flags come from the options' field lists (train/train_options.h and the two model
  // configs), in this order in --help; the model flags under a heading per architecture.
  add_field_options(app, train::train_recipe_fields, *o);
  const std::vector<CLI::Option*> transformer_options =
      add_field_options(app, models::transformer_config_fields, o->model);
  const std::vector<CLI::Option*> rnn_options = add_field_options(app, models::rnn_seq2seq_config_fields, o->rnn);
  // Run control: the only options --resume accepts (the others come from the checkpoint).
  const std::vector<CLI::Option*> run_control = add_field_options(app, train::run_control_fields, *o);
  app.add_flag("--overwrite", *overwrite,
               "start a new run in an --out-dir that already holds one (its checkpoints and metrics are deleted)");
  app.add_option("--threads", *threads,
                 "worker threads for the tensor kernels (default: QKV_NUM_THREADS, else all cores)")
      ->check(CLI::PositiveNumber);
  for (CLI::Option* opt : transformer_options) opt->group("Transformer model (--arch transformer)");
  for (CLI::Option* opt : rnn_options) opt->group("RNN model (--arch rnn)");
  std::vector<CLI::Option*> fixed_by_checkpoint;
  for (CLI::Option* opt : app.get_options()) {
    if (std::find(run_control.begin(), run_control.end(), opt) == run_control.end()) fixed_by_checkpoint.push_back(opt);
  }

  return [=, &app]() {
    auto given = [&app](std::string_view flag) { return app.get_option(std::string(flag))->count() > 0; };
    if (!config->empty()) {
      apply_config_file(app, *config);  // what it sets counts as given
      if (train::written_by_options_as_toml(*config)) train::restore_absent_options(*o, given);
    }
    // A resumed run keeps its data, model and recipe: a flag that would change them is an error,
    // not silently ignored. Run-control flags not given keep the checkpoint's values.
    for (const CLI::Option* opt : fixed_by_checkpoint) {
      const std::string name = opt->get_name();
      if (resume->empty() || opt->count() == 0 || name == "--resume" || name == "--config" || name == "--threads")
        continue;
      throw UsageError(
          fmt::format("qkv train: {} cannot change when resuming: the run continues with the options saved in "
                      "'{}'; only --epochs, --max-minutes, --max-steps, --patience, --valid-beam, "
                      "--valid-sentences, --keep-checkpoints, --out-dir, --progress, --quiet, --threads and "
                      "--allow-data-change may be given",
                      opt->get_name(), *resume));
    }
    std::optional<train::TrainOptions> checkpoint;
    if (!init_from->empty()) checkpoint = train::load_checkpoint(*init_from).options;
    // An RNN, asked for or fine-tuned from, trains with the RNN's recipe where not told otherwise.
    if ((checkpoint ? checkpoint->arch : o->arch) == train::Arch::rnn) {
      take_recipe_where_not_given(*o, train::default_recipe(train::Arch::rnn), given);
    }
    // --init-from: the model options are the checkpoint's (given ones that differ are refused).
    if (checkpoint) {
      try {
        *o = train::options_for_init_from(*o, *checkpoint, given);
      } catch (const Error& e) {
        throw UsageError(e.what());
      }
    }
    const bool rnn = o->arch == train::Arch::rnn;
    for (const CLI::Option* opt : rnn ? transformer_options : rnn_options) {
      if (opt->count() == 0) continue;
      throw UsageError(
          rnn ? fmt::format("qkv train: {} is a Transformer option; with --arch rnn use the --rnn-* options "
                            "(qkv train --help)",
                            opt->get_name())
              : fmt::format("qkv train: {} is an RNN option; it needs --arch rnn", opt->get_name()));
    }
    // An option that would be silently ignored is an error that says why.
    if (given("--bpe-merges") && o->tokenizer != data::TokenizerKind::bpe) {
      throw UsageError("qkv train: --bpe-merges needs --tokenizer bpe (the whitespace tokenizer learns no merges)");
    }
    const bool raw_subwords =
        o->tokenizer == data::TokenizerKind::rawbpe || o->tokenizer == data::TokenizerKind::sentencepiece;
    if (given("--vocab-size") && (!raw_subwords || !o->spm_model.empty())) {
      throw UsageError(
          o->spm_model.empty()
              ? "qkv train: --vocab-size needs --tokenizer rawbpe or sentencepiece (bpe counts --bpe-merges)"
              : "qkv train: --vocab-size with --spm-model: the model's vocabulary is fixed; leave one out");
    }
    if (given("--spm-type") && (o->tokenizer != data::TokenizerKind::sentencepiece || !o->spm_model.empty())) {
      throw UsageError(
          "qkv train: --spm-type needs --tokenizer sentencepiece without --spm-model (it picks the model "
          "qkv learns)");
    }
    for (const auto& [tsv, pair] : {std::pair{"--train-tsv", "--train-source/--train-target"},
                                    std::pair{"--valid-tsv", "--valid-source/--valid-target"}}) {
      const std::string_view files(pair);
      const std::string source(files.substr(0, files.find('/'))), target(files.substr(files.find('/') + 1));
      if (given(tsv) && (given(source) || given(target))) {
        throw UsageError(fmt::format("qkv train: give {} or {}, not both (the {} file would never be read)", tsv, pair,
                                     given(source) ? source : target));
      }
    }
    if (given("--allow-data-change") && resume->empty()) {
      throw UsageError("qkv train: --allow-data-change is for --resume (a new run has no earlier data to compare)");
    }
    if (!o->train_tsv.empty()) o->train_source = o->train_target = "";
    if (!o->valid_tsv.empty()) o->valid_source = o->valid_target = "";
    if (*threads > 0) set_num_threads(*threads);
    // On several ranks (train/distributed.h) only rank 0 touches the run directory.
    const bool root = train::distributed().is_root();
    std::optional<train::RunDirectoryLock> lock;
    if (resume->empty()) {
      // Refuse before touching the directory; check again once locked (another run may have
      // written there in between).
      if (root && !*overwrite) train::refuse_existing_run(o->out_dir);
      if (root) train::prepare_run_directory(lock.emplace(o->out_dir), o->out_dir, *overwrite);
      return exit_status(init_from->empty() ? train::train(*o) : train::train_from(*o, *init_from));
    }
    train::RunControl control;
    auto if_given = [&given](const char* flag, auto value) {
      return given(flag) ? std::optional(value) : std::nullopt;
    };
    control.epochs = if_given("--epochs", o->epochs);
    control.max_minutes = if_given("--max-minutes", o->max_minutes);
    control.max_steps = if_given("--max-steps", o->max_steps);
    control.patience = if_given("--patience", o->patience);
    control.valid_beam = if_given("--valid-beam", o->valid_beam);
    control.valid_sentences = if_given("--valid-sentences", o->valid_sentences);
    control.keep_checkpoints = if_given("--keep-checkpoints", o->keep_checkpoints);
    control.finalize_beam = if_given("--finalize", o->finalize_beam);
    control.precision = if_given("--precision", o->precision);
    if (app.get_option("--out-dir")->count()) control.out_dir = o->out_dir;
    control.progress = o->progress;
    control.quiet = o->quiet;
    control.allow_data_change = o->allow_data_change;
    const std::string resume_dir = std::filesystem::path(*resume).parent_path().string();
    if (root) {
      lock.emplace(!control.out_dir.empty() ? control.out_dir : resume_dir.empty() ? std::string(".") : resume_dir);
    }
    return exit_status(train::resume(*resume, control));
  };
}

}  // namespace qkv::cli
