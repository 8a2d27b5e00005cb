// line_plot.cpp — validation, layout and drawing of line plots.
#include "viz/line_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <tuple>

#include "tensor/factories.h"
#include "viz/scale.h"
#include "viz/svg.h"

namespace qkv::viz {
namespace {

constexpr std::array<std::string_view, 10> kPalette{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr double kFont = 12;

std::vector<double> values_of(const Tensor& t, std::string_view axis, std::string_view series) {
  check(t.defined(), "plot series '{}': the {} tensor is undefined", series, axis);
  check(t.dim() == 1, "plot series '{}': {} must be 1-D, got shape {}", series, axis, t.shape());
  return to_vector<double>(t);
}

Series make_series(std::string name, std::vector<double> x, std::vector<double> y, Series::Style style) {
  Series s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  s.style = style;
  return s;
}

void validate(const LinePlot& plot) {
  const std::string who = fmt::format("line plot '{}'", plot.title);
  check(!plot.series.empty(), "{}: there are no series to draw", who);
  for (const Series& s : plot.series) {
    check(!s.x.empty(), "{}: series '{}' is empty", who, s.name);
    check(s.x.size() == s.y.size(), "{}: series '{}' has {} x values but {} y values", who, s.name, s.x.size(),
          s.y.size());
    for (size_t i = 0; i < s.x.size(); ++i) {
      check(std::isfinite(s.x[i]) && std::isfinite(s.y[i]),
            "{}: series '{}' has a non-finite point ({}, {}) at index {}", who, s.name, s.x[i], s.y[i], i);
      check(!plot.y_floor || s.y[i] >= *plot.y_floor, "{}: series '{}' has y = {} at index {}, below the floor {}", who,
            s.name, s.y[i], i, plot.y_floor.value_or(0));
    }
  }
}

}  // namespace

Series line_series(std::string name, std::vector<double> x, std::vector<double> y) {
  return make_series(std::move(name), std::move(x), std::move(y), Series::Style::line);
}
Series line_series(std::string name, const Tensor& x, const Tensor& y) {
  return line_series(name, values_of(x, "x", name), values_of(y, "y", name));
}
Series scatter_series(std::string name, std::vector<double> x, std::vector<double> y) {
  return make_series(std::move(name), std::move(x), std::move(y), Series::Style::points);
}
Series scatter_series(std::string name, const Tensor& x, const Tensor& y) {
  return scatter_series(name, values_of(x, "x", name), values_of(y, "y", name));
}

AxisRanges axis_ranges(const LinePlot& plot) {
  validate(plot);
  double x_lo = plot.series[0].x[0], x_hi = x_lo, y_lo = plot.series[0].y[0], y_hi = y_lo;
  for (const Series& s : plot.series) {
    const auto [xmin, xmax] = std::minmax_element(s.x.begin(), s.x.end());
    const auto [ymin, ymax] = std::minmax_element(s.y.begin(), s.y.end());
    x_lo = std::min(x_lo, *xmin), x_hi = std::max(x_hi, *xmax);
    y_lo = std::min(y_lo, *ymin), y_hi = std::max(y_hi, *ymax);
  }
  AxisRanges r;
  std::tie(r.x_lo, r.x_hi) = padded_range(x_lo, x_hi, 0.02);
  std::tie(r.y_lo, r.y_hi) = padded_range(y_lo, y_hi, 0.05);
  if (plot.y_floor) r.y_lo = std::max(r.y_lo, *plot.y_floor);
  return r;
}

std::string render_line_plot(const LinePlot& plot) {
  const auto [x_lo, x_hi, y_lo, y_hi] = axis_ranges(plot);
  const std::vector<double> x_ticks = nice_ticks(x_lo, x_hi, 6);
  const std::vector<double> y_ticks = nice_ticks(y_lo, y_hi, 5);
  const double x_step = nice_step(x_lo, x_hi, 6), y_step = nice_step(y_lo, y_hi, 5);

  // Layout: margins sized by what goes in them.
  double y_tick_width = 0;
  for (double t : y_ticks) y_tick_width = std::max(y_tick_width, text_width(tick_label(t, y_step), kFont - 1));
  double legend_width = 0;
  for (const Series& s : plot.series) {
    if (!s.name.empty()) legend_width = std::max(legend_width, text_width(s.name, kFont) + 44);
  }
  const double left = 16 + (plot.y_label.empty() ? 0 : 20) + y_tick_width;
  const double right = 16 + (legend_width > 0 ? legend_width + 12 : 0);
  const double top = plot.title.empty() ? 16 : 40;
  const double bottom = 30 + (plot.x_label.empty() ? 0 : 22);
  check(plot.width - left - right >= 40 && plot.height - top - bottom >= 40,
        "line plot '{}': {} x {} px leaves no room for the plot area", plot.title, plot.width, plot.height);
  const LinearScale sx{x_lo, x_hi, left, plot.width - right};
  const LinearScale sy{y_lo, y_hi, plot.height - bottom, top};

  Svg svg(plot.width, plot.height);
  svg.rect(0, 0, plot.width, plot.height, "#ffffff");
  if (!plot.title.empty()) svg.text(plot.width / 2, 26, plot.title, {.size = 15, .anchor = "middle", .bold = true});

  svg.begin_group("axes");
  for (double t : x_ticks) {
    svg.line(sx(t), top, sx(t), plot.height - bottom, "#e5e5e5");
    svg.text(sx(t), plot.height - bottom + 16, tick_label(t, x_step), {.size = kFont - 1, .anchor = "middle"});
  }
  for (double t : y_ticks) {
    svg.line(left, sy(t), plot.width - right, sy(t), "#e5e5e5");
    svg.text(left - 6, sy(t), tick_label(t, y_step), {.size = kFont - 1, .anchor = "end", .baseline = "middle"});
  }
  svg.rect(left, top, plot.width - left - right, plot.height - top - bottom, "none", "#444444");
  if (!plot.x_label.empty()) {
    svg.text((left + plot.width - right) / 2, plot.height - 10, plot.x_label, {.size = kFont + 1, .anchor = "middle"});
  }
  if (!plot.y_label.empty()) {
    svg.text(16, (top + plot.height - bottom) / 2, plot.y_label,
             {.size = kFont + 1, .anchor = "middle", .baseline = "middle", .rotate = -90});
  }
  svg.end_group();

  std::vector<std::string> colours;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    colours.push_back(s.colour.empty() ? std::string(kPalette[i % kPalette.size()]) : s.colour);
    svg.begin_group("series");
    if (s.style == Series::Style::line) {
      std::vector<std::pair<double, double>> points;
      for (size_t k = 0; k < s.x.size(); ++k) points.emplace_back(sx(s.x[k]), sy(s.y[k]));
      if (s.dashed) {
        for (size_t k = 1; k < points.size(); ++k) {
          svg.line(points[k - 1].first, points[k - 1].second, points[k].first, points[k].second, colours[i], 2, "6 4");
        }
      } else {
        svg.polyline(points, colours[i], 2);
      }
      if (points.size() == 1) svg.circle(points[0].first, points[0].second, 2.5, colours[i]);
    } else {
      for (size_t k = 0; k < s.x.size(); ++k) svg.circle(sx(s.x[k]), sy(s.y[k]), 3, colours[i], "#ffffff");
    }
    svg.end_group();
  }

  if (legend_width > 0) {
    svg.begin_group("legend");
    const double lx = plot.width - right + 12;
    double ly = top + 4;
    int entries = 0;
    for (const Series& s : plot.series) entries += !s.name.empty();
    svg.rect(lx, ly, legend_width, 8 + 20.0 * entries, "#ffffff", "#bbbbbb");
    for (size_t i = 0; i < plot.series.size(); ++i) {
      const Series& s = plot.series[i];
      if (s.name.empty()) continue;
      const double cy = ly + 14;
      if (s.style == Series::Style::line) {
        svg.line(lx + 8, cy, lx + 32, cy, colours[i], 2, s.dashed ? "6 4" : "");
      } else {
        svg.circle(lx + 20, cy, 3.5, colours[i], "#ffffff");
      }
      svg.text(lx + 38, cy, s.name, {.size = kFont, .baseline = "middle"});
      ly += 20;
    }
    svg.end_group();
  }
  return svg.finish();
}

void save_line_plot(const std::string& path, const LinePlot& plot) { save_svg(path, render_line_plot(plot)); }

}  // namespace qkv::viz
