// heatmap.h — heatmaps as SVG: one or more matrices (e.g. attention weights, one panel per
// head or layer) in a grid, each with row and column labels (e.g. query and key tokens), a
// panel title, a viridis colour scale with a colour bar (shared by all panels, or one per
// panel) whose ticks include both ends of the scale and which can carry a label, and an overall
// title (the figure is made wide enough for it).
//
//   HeatmapFigure fig{.title = "encoder self-attention", .x_label = "keys", .y_label = "queries"};
//   for (int h = 0; h < heads; ++h)
//     fig.panels.push_back({fmt::format("head {}", h), weights[h], tokens, tokens});
//   save_heatmaps("attention.svg", fig);   // atomic write
//
// Values must be finite; no panels, a panel that is not 2-D or is empty, a NaN/Inf (named
// with its panel, row and column), or label counts that do not match throw qkv::Error. Labels
// are escaped, so tokens like "<eos>" or "&" are safe. With many rows or columns only every
// k-th label is drawn so they do not overlap. Not here: annotations of cell values, other
// colour maps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace qkv::viz {

struct HeatmapPanel {
  std::string title{};
  Tensor values{};                        // 2-D [rows, columns], any numeric or bool dtype
  std::vector<std::string> row_labels{};  // empty: 0, 1, ...; else one per row
  std::vector<std::string> col_labels{};  // empty: 0, 1, ...; else one per column
};

struct HeatmapFigure {
  std::string title{};
  std::string x_label{};  // under every panel, e.g. "keys"
  std::string y_label{};  // beside every panel, e.g. "queries"
  std::vector<HeatmapPanel> panels{};
  int64_t columns = 0;                 // panels per grid row; 0: about the square root of the count
  std::optional<double> min{}, max{};  // colour scale; by default the range of the values
  std::string scale_label{};           // beside the colour bar, e.g. "attention weight"
  bool shared_scale = true;            // one scale and colour bar for all panels, or one per panel
  double cell = 0;                     // cell size in px; 0: chosen from the matrix size
};

// The figure as an SVG document; every panel is a <g class="panel">, every colour bar a
// <g class="colour-bar">.
std::string render_heatmaps(const HeatmapFigure& figure);
// Renders and writes to `path` atomically.
void save_heatmaps(const std::string& path, const HeatmapFigure& figure);

}  // namespace qkv::viz
