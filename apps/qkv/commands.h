// commands.h — the `qkv` subcommands. Each adds its options to a CLI11 subcommand and returns
// the function that runs it once the command line is parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tensor/error.h"

namespace qkv::cli {

using Command = std::function<int()>;

// A command line that cannot work as given (options that conflict, a config file key that does
// not exist), found after parsing: exits 2 like CLI11's own parse errors.
class UsageError : public Error {
 public:
  using Error::Error;
};

// The exit statuses, as `qkv --help` lists them.
inline constexpr int kExitError = 1;  // a run or a file failed
inline constexpr int kExitUsage = 2;  // the command line is wrong

Command add_train(CLI::App& app);      // qkv train: train a translation model
Command add_translate(CLI::App& app);  // qkv translate: translate lines with a checkpoint
Command add_eval(CLI::App& app);       // qkv eval: BLEU and chrF of hypotheses (or of a model) against references
Command add_attention(CLI::App& app);  // qkv attention: heatmaps of a model's attention on a sentence pair
Command add_variants(CLI::App& app);   // qkv variants: the registered attention variants and normalisers
Command add_average(CLI::App& app);    // qkv average: mean of several checkpoints' weights
Command add_finalize(CLI::App& app);   // qkv finalize: final weights and length penalty, chosen on validation
Command add_plot(CLI::App& app);       // qkv plot: validation BLEU of several runs on one SVG

}  // namespace qkv::cli
