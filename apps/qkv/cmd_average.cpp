// cmd_average.cpp — `qkv average`: one checkpoint whose weights are the mean of several
// (train/average.h), e.g. of the last epochs a run kept with --keep-checkpoints.
#include <fmt/format.h>

#include <memory>

#include "apps/qkv/commands.h"
#include "train/average.h"

namespace qkv::cli {

struct AverageOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool overwrite = false;
};

Command add_average(CLI::App& app) {
  auto o = std::make_shared<AverageOptions>();
  app.add_option("checkpoints", o->inputs, "checkpoints of one model (e.g. runs/x/epoch-*.safetensors)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--out,-o", o->output, "where to write the averaged checkpoint (a new file, or --overwrite)")
      ->required();
  app.add_flag("--overwrite", o->overwrite, "replace --out if it exists (never one of the inputs)");
  return [o]() {
    train::average_checkpoints(o->inputs, o->output, o->overwrite);
    fmt::print("averaged {} checkpoints into {}\n", o->inputs.size(), o->output);
    return 0;
  };
}

}  // namespace qkv::cli
