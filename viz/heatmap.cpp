// heatmap.cpp — validation, grid layout and drawing of heatmap panels with their colour bars.
#include "viz/heatmap.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "tensor/factories.h"
#include "viz/colormap.h"
#include "viz/scale.h"
#include "viz/svg.h"

namespace qkv::viz {
namespace {

constexpr double kBarWidth = 14;
constexpr double kBarMinHeight = 60;
constexpr double kBarTickFont = 10;
constexpr std::string_view kGradientId = "qkv-viridis";

struct Range {
  double lo, hi;
};

// The colour range of `values` (or of the figure's fixed min/max), widened if it is one value.
Range colour_range(const std::vector<const std::vector<double>*>& values, const HeatmapFigure& figure) {
  double lo = (*values[0])[0], hi = lo;
  for (const auto* v : values) {
    const auto [mn, mx] = std::minmax_element(v->begin(), v->end());
    lo = std::min(lo, *mn), hi = std::max(hi, *mx);
  }
  if (figure.min) lo = *figure.min;
  if (figure.max) hi = *figure.max;
  check(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, "heatmap '{}': the colour scale [{}, {}] is not a range",
        figure.title, lo, hi);
  if (lo == hi) std::tie(lo, hi) = padded_range(lo, hi);
  return {lo, hi};
}

// The colour bar's ticks: nice values inside the range plus both ends, so the top and bottom
// colours always say which value they stand for. A nice tick closer than a label's height to an
// end is left out; an end is printed with the fewest digits that put it within 0.1% of the
// range of its value (0.87341 on a 0-based scale: "0.873").
std::vector<std::pair<double, std::string>> bar_ticks(Range r, double height) {
  const double step = nice_step(r.lo, r.hi, 5);
  const double min_gap = (r.hi - r.lo) * (kBarTickFont * 1.2) / height;
  const auto end_label = [&](double v) {
    std::string label = tick_label(v, step);
    double precision = step;
    for (int extra = 1; extra <= 3 && std::abs(std::stod(label) - v) > 0.001 * (r.hi - r.lo); ++extra) {
      precision /= 10;
      label = tick_label(v, precision);
    }
    return label;
  };
  std::vector<std::pair<double, std::string>> ticks{{r.lo, end_label(r.lo)}};
  for (double t : nice_ticks(r.lo, r.hi, 5)) {
    if (t - r.lo >= min_gap && r.hi - t >= min_gap) ticks.emplace_back(t, tick_label(t, step));
  }
  ticks.emplace_back(r.hi, end_label(r.hi));
  return ticks;
}

// Width of a colour bar with its tick labels and scale label, including the gap before it.
double colour_bar_width(Range r, double height, const std::string& label) {
  double tick_w = 0;
  for (const auto& [t, text] : bar_ticks(r, height)) tick_w = std::max(tick_w, text_width(text, kBarTickFont));
  return 14 + kBarWidth + 6 + tick_w + (label.empty() ? 0 : 20);
}

void draw_colour_bar(Svg& svg, double x, double y, double height, Range r, const std::string& label) {
  svg.begin_group("colour-bar");
  svg.rect(x, y, kBarWidth, height, fmt::format("url(#{})", kGradientId), "#444444");
  const LinearScale bar{r.lo, r.hi, y + height, y};
  double tick_w = 0;
  for (const auto& [t, text] : bar_ticks(r, height)) {
    svg.line(x + kBarWidth, bar(t), x + kBarWidth + 4, bar(t), "#444444");
    svg.text(x + kBarWidth + 6, bar(t), text, {.size = kBarTickFont, .baseline = "middle"});
    tick_w = std::max(tick_w, text_width(text, kBarTickFont));
  }
  if (!label.empty()) {
    svg.text(x + kBarWidth + 6 + tick_w + 12, y + height / 2, label,
             {.size = 11, .anchor = "middle", .baseline = "middle", .rotate = -90});
  }
  svg.end_group();
}

// A validated panel: values as doubles, labels filled in, and the sizes of its parts in px.
struct Layout {
  int64_t rows = 0, cols = 0;
  std::vector<double> values;  // row-major
  std::vector<std::string> row_labels, col_labels;
  double cell = 0, font = 0;
  int64_t label_stride = 1;  // draw every k-th label
  double title_h = 0, y_label_w = 0, row_label_w = 0, col_label_h = 0, x_label_h = 0;
  double bar_w = 0;    // this panel's own colour bar, if the scale is not shared
  double title_w = 0;  // the panel title, centred over the matrix, may be wider than it
  double matrix_w() const { return static_cast<double>(cols) * cell; }
  double matrix_h() const { return static_cast<double>(rows) * cell; }
  double body_h() const { return bar_w > 0 ? std::max(matrix_h(), kBarMinHeight) : matrix_h(); }
  // Room a wide title needs left of the labels and right of the matrix (and its bar).
  double title_pad_left() const { return std::max(0.0, (title_w - matrix_w()) / 2 - y_label_w - row_label_w); }
  double title_pad_right() const { return std::max(0.0, (title_w - matrix_w()) / 2 - bar_w - 8); }
  double width() const {
    return title_pad_left() + y_label_w + row_label_w + matrix_w() + bar_w + 8 + title_pad_right();
  }
  double height() const { return title_h + body_h() + col_label_h + x_label_h + 8; }
};

std::vector<std::string> labels_or_indices(const std::vector<std::string>& labels, int64_t n, std::string_view what,
                                           const std::string& who) {
  if (labels.empty()) {
    std::vector<std::string> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(std::to_string(i));
    return out;
  }
  check(static_cast<int64_t>(labels.size()) == n, "{}: {} {} labels for {} {}", who, labels.size(), what, n,
        what == "row" ? "rows" : "columns");
  return labels;
}

Layout lay_out(const HeatmapFigure& figure, const HeatmapPanel& panel, size_t index) {
  const std::string who = fmt::format("heatmap '{}' panel {} ('{}')", figure.title, index, panel.title);
  check(panel.values.defined(), "{}: the values tensor is undefined", who);
  check(panel.values.dim() == 2, "{}: values must be 2-D [rows, columns], got shape {}", who, panel.values.shape());
  Layout l;
  l.rows = panel.values.size(0);
  l.cols = panel.values.size(1);
  check(l.rows > 0 && l.cols > 0, "{}: the matrix is empty (shape {})", who, panel.values.shape());
  l.values = to_vector<double>(panel.values);
  for (size_t k = 0; k < l.values.size(); ++k) {
    check(std::isfinite(l.values[k]), "{}: value {} at row {}, column {} is not finite", who, l.values[k],
          static_cast<int64_t>(k) / l.cols, static_cast<int64_t>(k) % l.cols);
  }
  l.row_labels = labels_or_indices(panel.row_labels, l.rows, "row", who);
  l.col_labels = labels_or_indices(panel.col_labels, l.cols, "column", who);

  l.cell = figure.cell > 0 ? figure.cell : std::clamp(360.0 / static_cast<double>(std::max(l.rows, l.cols)), 3.0, 28.0);
  l.font = std::clamp(l.cell * 0.75, 7.0, 11.0);
  // Labels need about 1.15 font sizes of room; with smaller cells draw every k-th one.
  l.label_stride = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(l.font * 1.15 / l.cell)));
  for (int64_t i = 0; i < l.rows; i += l.label_stride) {
    l.row_label_w = std::max(l.row_label_w, text_width(l.row_labels[i], l.font));
  }
  for (int64_t j = 0; j < l.cols; j += l.label_stride) {
    l.col_label_h = std::max(l.col_label_h, text_width(l.col_labels[j], l.font));
  }
  l.row_label_w += 8;
  l.col_label_h += 8;
  l.title_h = panel.title.empty() ? 4 : 22;
  l.title_w = panel.title.empty() ? 0 : text_width(panel.title, 12) * 1.1;  // bold is wider
  l.y_label_w = figure.y_label.empty() ? 0 : 18;
  l.x_label_h = figure.x_label.empty() ? 0 : 18;
  return l;
}

void draw_panel(Svg& svg, const HeatmapFigure& figure, const HeatmapPanel& panel, const Layout& l, double ox, double oy,
                Range range) {
  svg.begin_group("panel");
  ox += l.title_pad_left();
  const double mx = ox + l.y_label_w + l.row_label_w;
  const double my = oy + l.title_h;
  const double mw = l.matrix_w(), mh = l.matrix_h();
  if (!panel.title.empty()) svg.text(mx + mw / 2, oy + 15, panel.title, {.size = 12, .anchor = "middle", .bold = true});
  const LinearScale colour{range.lo, range.hi, 0, 1};
  svg.begin_group("cells", /*crisp_edges=*/true);
  for (int64_t i = 0; i < l.rows; ++i) {
    for (int64_t j = 0; j < l.cols; ++j) {
      const double v = l.values[static_cast<size_t>(i * l.cols + j)];
      svg.rect(mx + static_cast<double>(j) * l.cell, my + static_cast<double>(i) * l.cell, l.cell, l.cell,
               viridis(colour(v)));
    }
  }
  svg.end_group();
  svg.rect(mx, my, mw, mh, "none", "#444444");
  for (int64_t i = 0; i < l.rows; i += l.label_stride) {
    svg.text(mx - 4, my + (static_cast<double>(i) + 0.5) * l.cell, l.row_labels[i],
             {.size = l.font, .anchor = "end", .baseline = "middle"});
  }
  for (int64_t j = 0; j < l.cols; j += l.label_stride) {
    svg.text(mx + (static_cast<double>(j) + 0.5) * l.cell, my + mh + 4, l.col_labels[j],
             {.size = l.font, .anchor = "end", .baseline = "middle", .rotate = -90});
  }
  if (!figure.y_label.empty()) {
    svg.text(ox + 10, my + mh / 2, figure.y_label,
             {.size = 12, .anchor = "middle", .baseline = "middle", .rotate = -90});
  }
  if (!figure.x_label.empty()) {
    svg.text(mx + mw / 2, my + mh + l.col_label_h + 13, figure.x_label, {.size = 12, .anchor = "middle"});
  }
  if (l.bar_w > 0) draw_colour_bar(svg, mx + mw + 14, my, l.body_h(), range, figure.scale_label);
  svg.end_group();
}

}  // namespace

std::string render_heatmaps(const HeatmapFigure& figure) {
  check(!figure.panels.empty(), "heatmap '{}': there are no panels to draw", figure.title);
  check(figure.columns >= 0, "heatmap '{}': columns must be >= 0, got {}", figure.title, figure.columns);
  check(figure.cell >= 0 && std::isfinite(figure.cell), "heatmap '{}': cell size must be >= 0, got {}", figure.title,
        figure.cell);
  std::vector<Layout> layouts;
  for (size_t p = 0; p < figure.panels.size(); ++p) layouts.push_back(lay_out(figure, figure.panels[p], p));

  // Colour ranges: one for all panels, or one each (then each panel makes room for its bar).
  std::vector<Range> ranges;
  if (figure.shared_scale) {
    std::vector<const std::vector<double>*> all;
    for (const Layout& l : layouts) all.push_back(&l.values);
    ranges.assign(layouts.size(), colour_range(all, figure));
  } else {
    for (Layout& l : layouts) {
      ranges.push_back(colour_range({&l.values}, figure));
      l.bar_w = colour_bar_width(ranges.back(), std::max(l.matrix_h(), kBarMinHeight), figure.scale_label);
    }
  }

  const int64_t n = static_cast<int64_t>(figure.panels.size());
  const int64_t columns = figure.columns > 0 ? std::min(figure.columns, n)
                                             : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t grid_rows = (n + columns - 1) / columns;
  double cell_w = 0, cell_h = 0;
  for (const Layout& l : layouts) cell_w = std::max(cell_w, l.width()), cell_h = std::max(cell_h, l.height());

  const double margin = 12;
  const double top = figure.title.empty() ? margin : 40;
  const double grid_w = cell_w * static_cast<double>(columns), grid_h = cell_h * static_cast<double>(grid_rows);
  const double shared_bar_h = std::clamp(grid_h - 40, kBarMinHeight, 320.0);
  const double shared_bar_w = figure.shared_scale ? colour_bar_width(ranges[0], shared_bar_h, figure.scale_label) : 0;
  // Wide enough for the title too (bold, 15 px), which is centred over the whole figure.
  const double title_w = figure.title.empty() ? 0 : text_width(figure.title, 15) * 1.1;
  const double width = std::max(margin + grid_w + shared_bar_w + margin, title_w + 2 * margin);
  const double height = top + std::max(grid_h, figure.shared_scale ? shared_bar_h + 20 : 0) + margin;

  Svg svg(width, height);
  svg.rect(0, 0, width, height, "#ffffff");
  std::vector<std::string> stops;
  for (int k = 0; k <= 10; ++k) stops.push_back(viridis(k / 10.0));
  svg.vertical_gradient(kGradientId, stops);
  if (!figure.title.empty()) svg.text(width / 2, 26, figure.title, {.size = 15, .anchor = "middle", .bold = true});
  for (int64_t p = 0; p < n; ++p) {
    const auto i = static_cast<size_t>(p);
    const double ox = margin + static_cast<double>(p % columns) * cell_w;
    const double oy = top + static_cast<double>(p / columns) * cell_h;
    draw_panel(svg, figure, figure.panels[i], layouts[i], ox, oy, ranges[i]);
  }
  if (figure.shared_scale) {
    draw_colour_bar(svg, margin + grid_w + 14, top + 20, shared_bar_h, ranges[0], figure.scale_label);
  }
  return svg.finish();
}

void save_heatmaps(const std::string& path, const HeatmapFigure& figure) { save_svg(path, render_heatmaps(figure)); }

}  // namespace qkv::viz
