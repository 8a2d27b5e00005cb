// line_plot_test.cpp — line plots: well-formed SVG with every label, series and legend entry,
// and clear errors for empty or non-finite input.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "io/test_temp_dir.h"
#include "tensor/error.h"
#include "tensor/factories.h"
#include "viz/line_plot.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::viz;
using Catch::Contains;

namespace {

LinePlot sample_plot() {
  LinePlot plot{.title = "fit <kernel> & truth", .x_label = "x \"input\"", .y_label = "y"};
  std::vector<double> x, y;
  for (int i = 0; i <= 50; ++i) {
    x.push_back(i * 0.1);
    y.push_back(std::sin(i * 0.1));
  }
  plot.series.push_back(line_series("truth", x, y));
  plot.series.push_back(line_series("pred", arange(0, 5, 0.5, Dtype::float64), full({10}, 0.5, Dtype::float32)));
  plot.series.back().dashed = true;
  plot.series.push_back(scatter_series("train", {0.5, 1.5, 4.0}, {0.4, 1.1, -0.7}));
  plot.series.push_back(line_series("", {0, 5}, {0, 0}));  // unnamed: no legend entry
  return plot;
}

}  // namespace

TEST_CASE("a line plot is well-formed SVG with its title, labels, ticks and legend", "[viz][line_plot]") {
  const std::string svg = render_line_plot(sample_plot());
  CHECK(test::xml_problem(svg) == "");
  CHECK_THAT(svg, Contains("fit &lt;kernel&gt; &amp; truth"));
  CHECK_THAT(svg, Contains("x &quot;input&quot;"));
  CHECK(test::count_of(svg, "<g class=\"series\">") == 4);
  CHECK(test::count_of(svg, "<g class=\"legend\">") == 1);
  for (const char* name : {">truth<", ">pred<", ">train<"}) CHECK(test::count_of(svg, name) == 1);
  CHECK(test::count_of(svg, "<polyline") == 2);              // truth and the unnamed line
  CHECK(test::count_of(svg, "stroke-dasharray") >= 9);       // the dashed series, segment by segment
  CHECK(test::count_of(svg, "<circle") == 3 + 1);            // 3 points + the legend marker
  CHECK_THAT(svg, Contains(">0.5<") && Contains(">-1.0<"));  // tick labels
}

TEST_CASE("save_line_plot writes the file atomically", "[viz][line_plot]") {
  test::TempDir dir;
  save_line_plot(dir.file("plot.svg"), sample_plot());
  CHECK(test::read_bytes(dir.file("plot.svg")) == render_line_plot(sample_plot()));
  CHECK(dir.entries() == std::vector<std::string>{"plot.svg"});
}

TEST_CASE("line plots handle single points and constant series", "[viz][line_plot]") {
  LinePlot plot;
  plot.series.push_back(line_series("flat", {1, 2, 3}, {4, 4, 4}));
  plot.series.push_back(scatter_series("one", {2}, {4}));
  CHECK(test::xml_problem(render_line_plot(plot)) == "");
  LinePlot single;
  single.series.push_back(line_series("dot", {1}, {1}));
  CHECK(test::xml_problem(render_line_plot(single)) == "");
}

TEST_CASE("line plots reject empty and non-finite input with clear errors", "[viz][line_plot]") {
  LinePlot plot{.title = "loss"};
  CHECK_THROWS_WITH(render_line_plot(plot), Contains("line plot 'loss': there are no series"));
  plot.series.push_back(line_series("train", std::vector<double>{}, std::vector<double>{}));
  CHECK_THROWS_WITH(render_line_plot(plot), Contains("series 'train' is empty"));
  plot.series[0] = line_series("train", {1, 2}, {1});
  CHECK_THROWS_WITH(render_line_plot(plot), Contains("series 'train' has 2 x values but 1 y values"));
  plot.series[0] = line_series("train", {1, 2, 3}, {1, std::nan(""), 3});
  CHECK_THROWS_WITH(render_line_plot(plot), Contains("series 'train' has a non-finite point (2, nan) at index 1"));
  plot.series[0] = line_series("train", {1, std::numeric_limits<double>::infinity()}, {1, 2});
  CHECK_THROWS_WITH(render_line_plot(plot), Contains("non-finite point (inf, 2) at index 1"));
  CHECK_THROWS_WITH(line_series("t", zeros({2, 2}), zeros({4})),
                    Contains("series 't': x must be 1-D, got shape [2, 2]"));
  CHECK_THROWS_WITH(line_series("t", zeros({2}), Tensor()), Contains("the y tensor is undefined"));
  LinePlot tiny{.title = "tiny", .width = 50, .height = 50};
  tiny.series.push_back(line_series("a", {1, 2}, {1, 2}));
  CHECK_THROWS_WITH(render_line_plot(tiny), Contains("leaves no room"));
}
