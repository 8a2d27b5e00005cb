// line_plot.h — line plots as SVG: several named series of (x, y), each drawn as a line or as
// scatter points, with axes, nice ticks, axis labels, a title and a legend.
//
//   LinePlot plot{.title = "Nadaraya-Watson", .x_label = "x", .y_label = "y"};
//   plot.series.push_back(line_series("truth", x, y_true));           // Tensors or vectors
//   plot.series.push_back(scatter_series("training data", x_train, y_train));
//   save_line_plot("fit.svg", plot);                                    // atomic write
//
// Every value must be finite; an empty plot, an empty series, x/y of different lengths, a
// NaN/Inf or a value under y_floor throws qkv::Error naming the plot, the series and the index. Not here: log axes,
// error bars, several y axes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace qkv::viz {

struct Series {
  enum class Style { line, points };
  std::string name{};  // shown in the legend (an empty name is left out of it)
  std::vector<double> x{};
  std::vector<double> y{};
  Style style = Style::line;
  std::string colour{};  // "#rrggbb"; empty picks the next colour of the palette
  bool dashed = false;
};

// Series from vectors or from 1-D tensors of any numeric dtype (converted to double).
Series line_series(std::string name, std::vector<double> x, std::vector<double> y);
Series line_series(std::string name, const Tensor& x, const Tensor& y);
Series scatter_series(std::string name, std::vector<double> x, std::vector<double> y);
Series scatter_series(std::string name, const Tensor& x, const Tensor& y);

struct LinePlot {
  std::string title{};
  std::string x_label{};
  std::string y_label{};
  std::vector<Series> series{};
  double width = 720;
  double height = 450;
  // The y axis never reaches below this (e.g. 0 for a score that cannot be negative); values
  // under it are an error.
  std::optional<double> y_floor{};
};

// The data ranges the axes span: every point, padded a little on each side. A single value (one
// point, or a constant series) is padded by half its size, or by 1 when it is 0; y_floor then
// cuts the padding below it, so one BLEU of 0 gets the axis [0, 1], not [-1, 1].
struct AxisRanges {
  double x_lo, x_hi, y_lo, y_hi;
};
AxisRanges axis_ranges(const LinePlot& plot);

// The plot as an SVG document.
std::string render_line_plot(const LinePlot& plot);
// Renders and writes to `path` atomically.
void save_line_plot(const std::string& path, const LinePlot& plot);

}  // namespace qkv::viz
