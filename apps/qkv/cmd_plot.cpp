// cmd_plot.cpp — `qkv plot`: the validation BLEU of several runs on one SVG, against training
// time or the step, for comparing recipes (train/training_plots.h). Each run is a run directory
// or its metrics.jsonl, named in the legend by LABEL= or else by its path.
//
//   qkv plot --out bleu.svg "inverse sqrt=runs/a" "cosine=runs/b"
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/qkv/commands.h"
#include "train/metrics_log.h"
#include "train/training_plots.h"

namespace qkv::cli {

namespace {

struct PlotOptions {
  std::vector<std::string> runs;
  std::string output;
  std::string x = "minutes";
  std::string title = "validation BLEU";
  bool overwrite = false;
};

// "LABEL=PATH" or "PATH" (a path that exists as written is never split, even with a '=' in it).
train::LabelledRun read_run(const std::string& spec) {
  namespace fs = std::filesystem;
  std::string label = spec, path = spec;
  if (const auto eq = spec.find('='); !fs::exists(spec) && eq != std::string::npos) {
    label = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  if (fs::is_directory(path)) path = (fs::path(path) / "metrics.jsonl").string();
  if (!fs::exists(path))
    throw UsageError(fmt::format("qkv plot: run '{}': no such run directory or file '{}'", spec, path));
  return {label, train::read_metrics(path)};
}

}  // namespace

Command add_plot(CLI::App& app) {
  auto o = std::make_shared<PlotOptions>();
  app.add_option("runs", o->runs, "run directories or metrics.jsonl files, each optionally as LABEL=PATH")->required();
  app.add_option("--out,-o", o->output, "the SVG to write (a new file, or --overwrite)")->required();
  app.add_option("--x", o->x, "the x axis: minutes (of training) or step")
      ->check(CLI::IsMember({"minutes", "step"}))
      ->capture_default_str();
  app.add_option("--title", o->title, "the plot's title")->capture_default_str();
  app.add_flag("--overwrite", o->overwrite, "replace --out if it exists");
  return [o]() {
    if (std::filesystem::exists(o->output) && !o->overwrite) {
      throw UsageError(
          fmt::format("qkv plot: '{}' already exists; give --overwrite to replace it, or another --out", o->output));
    }
    std::vector<train::LabelledRun> runs;
    for (const auto& spec : o->runs) runs.push_back(read_run(spec));
    const auto axis = o->x == "step" ? train::PlotAxis::step : train::PlotAxis::minutes;
    viz::save_line_plot(o->output, train::compare_bleu_plot(runs, axis, o->title));
    fmt::print("wrote {}: validation BLEU of {} runs against {}\n", o->output, runs.size(),
               axis == train::PlotAxis::step ? "the step" : "training time");
    return 0;
  };
}

}  // namespace qkv::cli
