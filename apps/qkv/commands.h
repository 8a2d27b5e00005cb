// commands.h — the `qkv` subcommands. Each adds its options to a CLI11 subcommand and returns
// the function that runs it once the command line is parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace qkv::cli {

using Command = std::function<int()>;

Command add_train(CLI::App& app);      // qkv train: train a translation model
Command add_translate(CLI::App& app);  // qkv translate: translate lines with a checkpoint
Command add_eval(CLI::App& app);       // qkv eval: BLEU and chrF of hypotheses (or of a model) against references
Command add_attention(CLI::App& app);  // qkv attention: heatmaps of a model's attention on a sentence pair
Command add_variants(CLI::App& app);   // qkv variants: the registered attention variants and normalisers
Command add_average(CLI::App& app);    // qkv average: mean of several checkpoints' weights

}  // namespace qkv::cli
