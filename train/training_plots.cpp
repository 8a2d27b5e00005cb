// training_plots.cpp — metrics rows into line plots.
#include "train/training_plots.h"

#include <algorithm>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {

std::optional<viz::LinePlot> training_curve_plot(const std::vector<MetricsRow>& rows) {
  std::vector<double> steps, losses, vsteps, vlosses;
  for (const auto& r : rows) {
    if (r.kind == "train") {
      steps.push_back(static_cast<double>(r.step));
      losses.push_back(r.loss);
    } else {
      vsteps.push_back(static_cast<double>(r.step));
      vlosses.push_back(r.loss);
    }
  }
  if (steps.empty()) return std::nullopt;
  // The raw per-batch loss is noisy: plot means over windows of ~1/200 of the run.
  const size_t window = std::max<size_t>(1, steps.size() / 200);
  std::vector<double> sx, sy;
  for (size_t i = 0; i < steps.size(); i += window) {
    const size_t end = std::min(steps.size(), i + window);
    double sum = 0;
    for (size_t j = i; j < end; ++j) sum += losses[j];
    sx.push_back(steps[end - 1]);
    sy.push_back(sum / static_cast<double>(end - i));
  }
  viz::LinePlot curve{.title = "training curve", .x_label = "step", .y_label = "cross-entropy (nats/token)"};
  curve.series.push_back(viz::line_series("train (label-smoothed)", sx, sy));
  if (!vsteps.empty()) curve.series.push_back(viz::line_series("validation", vsteps, vlosses));
  return curve;
}

std::optional<viz::LinePlot> bleu_plot(const std::vector<MetricsRow>& rows) {
  std::vector<double> steps, bleus;
  for (const auto& r : rows) {
    if (r.kind == "train") continue;
    steps.push_back(static_cast<double>(r.step));
    bleus.push_back(r.bleu);
  }
  if (steps.empty()) return std::nullopt;
  viz::LinePlot bleu{.title = "validation BLEU", .x_label = "step", .y_label = "BLEU"};
  bleu.series.push_back(viz::line_series("BLEU", steps, bleus));
  bleu.y_floor = 0.0;
  return bleu;
}

viz::LinePlot compare_bleu_plot(const std::vector<LabelledRun>& runs, PlotAxis x, std::string title) {
  if (runs.empty()) throw Error("BLEU comparison plot: no runs to draw");
  viz::LinePlot plot{.title = std::move(title),
                     .x_label = x == PlotAxis::step ? "step" : "training time (minutes)",
                     .y_label = "validation BLEU"};
  for (const auto& run : runs) {
    std::vector<double> xs, bleus;
    for (const auto& r : run.rows) {
      if (r.kind == "train") continue;
      xs.push_back(x == PlotAxis::step ? static_cast<double>(r.step) : r.elapsed / 60.0);
      bleus.push_back(r.bleu);
    }
    if (xs.empty()) throw Error(fmt::format("BLEU comparison plot: run '{}' has no validation rows", run.label));
    plot.series.push_back(viz::line_series(run.label, xs, bleus));
  }
  plot.y_floor = 0.0;
  return plot;
}

}  // namespace qkv::train
