// training_plots.h — the pictures of a run, drawn from its metrics rows (metrics_log.h):
//
//   training_curve.svg   training loss (smoothed) and validation loss against the step
//   bleu.svg             validation BLEU against the step
//
// and, for comparing recipes (`qkv plot`), the validation BLEU of several runs on one plot,
// against the step or the wall-clock training time.
//
// Both use the step, the one count that training and validation rows share unambiguously: a
// training row's epoch is the epoch it belongs to (from 0), a validation row's is the number of
// epochs finished when it ran (from 1; a validation after a time or step limit part-way through
// an epoch has the same epoch as the one before it). The BLEU axis never goes below 0.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "train/metrics_log.h"
#include "viz/line_plot.h"

namespace qkv::train {

// Nothing to draw (no training rows; no validation rows) gives nullopt.
std::optional<viz::LinePlot> training_curve_plot(const std::vector<MetricsRow>& rows);
std::optional<viz::LinePlot> bleu_plot(const std::vector<MetricsRow>& rows);

// One run of a comparison: its name in the legend and its metrics rows.
struct LabelledRun {
  std::string label;
  std::vector<MetricsRow> rows;
};
// What the comparison's x axis counts: the step, or the minutes of training (a row's elapsed
// time, which leaves out the time before the first step and continues across a resume).
enum class PlotAxis { step, minutes };

// Validation BLEU of every run, one line each, in the order given. No runs, or a run without a
// validation row, throws qkv::Error naming the run.
viz::LinePlot compare_bleu_plot(const std::vector<LabelledRun>& runs, PlotAxis x, std::string title);

}  // namespace qkv::train
