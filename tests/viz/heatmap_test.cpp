// heatmap_test.cpp — heatmap grids: well-formed SVG, one <g class="panel"> per matrix, escaped
// token labels on both axes, a colour bar, and clear errors for empty or non-finite input.
#include <catch2/catch.hpp>

#include <cmath>

#include "autograd/ops/elementwise.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "viz/heatmap.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::viz;
using Catch::Contains;

namespace {

HeatmapFigure attention_figure(int heads) {
  const std::vector<std::string> queries{"<bos>", "Tom", "&", "Jerry", "\"run\""};
  const std::vector<std::string> keys{"Tom", "et", "Jerry", "courent", "<eos>", "<pad>"};
  HeatmapFigure fig{.title = "decoder <cross> attention", .x_label = "keys", .y_label = "queries"};
  Generator gen(7);
  for (int h = 0; h < heads; ++h) fig.panels.push_back({fmt::format("head {}", h), rand({5, 6}, gen), queries, keys});
  return fig;
}

}  // namespace

TEST_CASE("a heatmap grid has one panel per matrix, escaped labels on both axes and a colour bar", "[viz][heatmap]") {
  const std::string svg = render_heatmaps(attention_figure(4));
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, "<g class=\"panel\">") == 4);
  CHECK(test::count_of(svg, "<g class=\"colour-bar\">") == 1);
  CHECK_THAT(svg, Contains("decoder &lt;cross&gt; attention"));
  for (const char* label : {">&lt;bos&gt;<", ">&amp;<", ">&quot;run&quot;<", ">&lt;eos&gt;<", ">courent<"}) {
    INFO(label);
    CHECK(test::count_of(svg, label) == 4);  // once per panel
  }
  for (int h = 0; h < 4; ++h) CHECK(test::count_of(svg, fmt::format(">head {}<", h)) == 1);
  CHECK(test::count_of(svg, ">keys<") == 4);
  CHECK(test::count_of(svg, ">queries<") == 4);
  // 4 panels x 30 cells + a frame per panel + the background + the colour bar.
  CHECK(test::count_of(svg, "<rect") == 4 * 30 + 4 + 1 + 1);
  CHECK_THAT(svg, Contains("url(#qkv-viridis)"));
}

TEST_CASE("heatmap panels can each have their own colour scale", "[viz][heatmap]") {
  HeatmapFigure fig = attention_figure(3);
  fig.panels[1].values = fig.panels[1].values * 1000.0;  // a very different range
  fig.shared_scale = false;
  const std::string svg = render_heatmaps(fig);
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, "<g class=\"colour-bar\">") == 3);
  CHECK_THAT(svg, Contains(">800<"));  // a tick of panel 1's own bar
  CHECK(test::count_of(svg, "<linearGradient") == 1);
  fig.shared_scale = true;
  CHECK(test::count_of(render_heatmaps(fig), "<g class=\"colour-bar\">") == 1);
}

TEST_CASE("heatmap panels are laid out in the requested number of columns", "[viz][heatmap]") {
  HeatmapFigure fig = attention_figure(3);
  fig.columns = 3;
  const std::string wide = render_heatmaps(fig);
  fig.columns = 1;
  const std::string tall = render_heatmaps(fig);
  const auto width_of = [](const std::string& svg) {
    const size_t at = svg.find("width=\"") + 7;
    return std::stod(svg.substr(at, svg.find('"', at) - at));
  };
  CHECK(width_of(wide) > 2 * width_of(tall));
  CHECK(test::count_of(tall, "<g class=\"panel\">") == 3);
}

TEST_CASE("heatmaps accept any numeric dtype, default labels and a fixed scale", "[viz][heatmap]") {
  HeatmapFigure fig;
  fig.panels.push_back({"ints", from_vector<int64_t>({1, 2, 3, 4}, {2, 2}), {}, {}});
  fig.panels.push_back({"mask", from_vector<bool>({true, false, false, true}, {2, 2}), {}, {}});
  fig.panels.push_back({"constant", full({3, 1}, 0.25, Dtype::float64), {}, {}});
  fig.min = 0;
  fig.max = 4;
  const std::string svg = render_heatmaps(fig);
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, "<g class=\"panel\">") == 3);
  CHECK_THAT(svg, Contains(">0<") && Contains(">1<"));  // index labels
  HeatmapFigure constant;
  constant.panels.push_back({"", full({2, 2}, 0.5), {}, {}});
  CHECK(test::xml_problem(render_heatmaps(constant)) == "");
}

TEST_CASE("large heatmaps draw a readable subset of labels", "[viz][heatmap]") {
  HeatmapFigure fig;
  std::vector<std::string> labels;
  for (int i = 0; i < 200; ++i) labels.push_back(fmt::format("t{}", i));
  Generator gen(1);
  fig.panels.push_back({"big", rand({200, 200}, gen), labels, labels});
  const std::string svg = render_heatmaps(fig);
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, ">t0<") == 2);
  CHECK(test::count_of(svg, ">t1<") == 0);  // cells are too small for every label
}

TEST_CASE("heatmaps reject empty and non-finite input with clear errors", "[viz][heatmap]") {
  HeatmapFigure fig{.title = "attn"};
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("heatmap 'attn': there are no panels"));
  fig.panels.push_back({"h0", zeros({0, 3}), {}, {}});
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("panel 0 ('h0'): the matrix is empty (shape [0, 3])"));
  fig.panels[0].values = zeros({3});
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("values must be 2-D [rows, columns], got shape [3]"));
  fig.panels[0].values = Tensor();
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("undefined"));
  fig.panels[0].values = from_vector<float>({0.1f, NAN, 0.3f, 0.4f}, {2, 2});
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("value nan at row 0, column 1 is not finite"));
  fig.panels[0].values = from_vector<float>({0.1f, 0.2f, 0.3f, -INFINITY}, {2, 2});
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("value -inf at row 1, column 1"));
  fig.panels[0].values = zeros({2, 2});
  fig.panels[0].row_labels = {"a", "b", "c"};
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("3 row labels for 2 rows"));
  fig.panels[0].row_labels = {};
  fig.panels[0].col_labels = {"a"};
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("1 column labels for 2 columns"));
  fig.panels[0].col_labels = {};
  fig.min = 1;
  fig.max = 0;
  CHECK_THROWS_WITH(render_heatmaps(fig), Contains("colour scale [1, 0] is not a range"));
}

TEST_CASE("save_heatmaps writes the file atomically", "[viz][heatmap]") {
  test::TempDir dir;
  save_heatmaps(dir.file("attn.svg"), attention_figure(2));
  CHECK(test::count_of(test::read_bytes(dir.file("attn.svg")), "<g class=\"panel\">") == 2);
  CHECK(dir.entries() == std::vector<std::string>{"attn.svg"});
}
