// cmd_finalize.cpp — `qkv finalize RUN_DIR`: the run's final weights (best checkpoint or an
// average of its last epochs) and length penalty, chosen on validation (train/finalize.h).
#include <fmt/format.h>

#include <memory>

#include "apps/qkv/commands.h"
#include "train/finalize.h"

namespace qkv::cli {

Command add_finalize(CLI::App& app) {
  auto o = std::make_shared<train::FinalizeOptions>();
  auto run_dir = std::make_shared<std::string>();
  app.add_option("run_dir", *run_dir, "a run directory of qkv train (with best.safetensors / epoch-NNN.safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--beam", o->beam, "beam size of every validation decode (1..1000)")->capture_default_str();
  app.add_option("--length-penalties", o->length_penalties, "length penalties to choose from (GNMT alpha, 0..10)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--valid-source", o->valid_source, "validation source file (default: the run's own)");
  app.add_option("--valid-target", o->valid_target, "validation reference file (default: the run's own)");
  app.add_option("--valid-tsv", o->valid_tsv, "validation pairs, source<TAB>reference (instead of the two files)");
  app.add_option("--valid-sentences", o->valid_sentences, "decode only the first N validation pairs (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--overwrite", o->overwrite, "replace RUN_DIR/final.safetensors if it exists");
  return [o, run_dir]() {
    if (!o->valid_tsv.empty() && (!o->valid_source.empty() || !o->valid_target.empty())) {
      throw UsageError("qkv finalize: give --valid-tsv or --valid-source/--valid-target, not both");
    }
    if (o->valid_source.empty() != o->valid_target.empty()) {
      throw UsageError("qkv finalize: --valid-source and --valid-target go together");
    }
    train::finalize_run(*run_dir, *o, [](std::string_view line) { fmt::print("{}\n", line); });
    return 0;
  };
}

}  // namespace qkv::cli
