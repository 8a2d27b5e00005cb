// colour_scale_test.cpp — what makes two heatmaps comparable and readable: attention figures
// use one labelled scale from 0 to 1 (or to their own maximum when asked), the colour bar
// labels both its ends, a single unnamed panel gets a real name, and titles fit the figure.
#include <catch2/catch.hpp>

#include "tensor/error.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "viz/attention_maps.h"
#include "viz/svg.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::viz;
using Catch::Contains;

namespace {

const std::vector<std::string> kTokens{"a", "b", "c"};

// (1, 3, 3) weights whose largest entry is `top`.
Tensor one_head(double top) {
  return from_vector<float>({0.1f, 0.2f, static_cast<float>(top), 0.3f, 0.3f, 0.3f, 0.0f, 0.5f, 0.25f}, {1, 3, 3});
}

double svg_width(const std::string& svg) {
  const size_t at = svg.find("width=\"") + 7;
  return std::stod(svg.substr(at, svg.find('"', at) - at));
}

// The text of the colour bar group only.
std::string colour_bar_of(const std::string& svg) {
  const size_t at = svg.find("<g class=\"colour-bar\">");
  REQUIRE(at != std::string::npos);
  return svg.substr(at, svg.find("</g>", at) - at);
}

}  // namespace

TEST_CASE("attention figures share a labelled colour scale from 0 to 1", "[viz][colour_scale]") {
  const HeatmapFigure fig = attention_figure("t", {one_head(0.6)}, kTokens, kTokens);
  REQUIRE(fig.min.has_value());
  REQUIRE(fig.max.has_value());
  CHECK(*fig.min == 0.0);
  CHECK(*fig.max == 1.0);  // not the figure's own maximum, 0.6
  const std::string bar = colour_bar_of(render_heatmaps(fig));
  CHECK_THAT(bar, Contains(">0<") && Contains(">1.0<") && Contains(">attention weight<"));
  // The same scale whatever the weights: a figure whose largest weight is 0.95 draws the same bar.
  CHECK(colour_bar_of(render_heatmaps(attention_figure("t", {one_head(0.95)}, kTokens, kTokens))) == bar);
}

TEST_CASE("with auto_max the scale ends at the largest weight, and its top is labelled", "[viz][colour_scale]") {
  const HeatmapFigure fig = attention_figure("t", {one_head(0.8734)}, kTokens, kTokens, {.auto_max = true});
  CHECK(*fig.min == 0.0);
  CHECK_FALSE(fig.max.has_value());
  const std::string bar = colour_bar_of(render_heatmaps(fig));
  // Nice ticks alone would stop at 0.8 and leave the top colour unnamed.
  CHECK_THAT(bar, Contains(">0.873<") && Contains(">0<"));
}

TEST_CASE("a colour bar labels both ends of any fixed range", "[viz][colour_scale]") {
  HeatmapFigure fig{.title = "raw"};
  fig.panels.push_back({"", from_vector<float>({0.0f, 1.0f, 2.0f, 3.0f}, {2, 2}), {}, {}});
  fig.min = -0.37;
  fig.max = 3.21;
  const std::string bar = colour_bar_of(render_heatmaps(fig));
  CHECK_THAT(bar, Contains(">-0.37<") && Contains(">3.21<") && Contains(">1<") && Contains(">2<"));
}

TEST_CASE("one layer of one head is named by its panel title, not 'layer 0 head 0'", "[viz][colour_scale]") {
  const HeatmapFigure fig = attention_figure("decoder attention over the source", {one_head(0.5)}, kTokens, kTokens,
                                             {.panel_title = "alignment"});
  REQUIRE(fig.panels.size() == 1);
  CHECK(fig.panels[0].title == "alignment");
  const std::string svg = render_heatmaps(fig);
  CHECK(test::count_of(svg, ">alignment<") == 1);
  CHECK(test::count_of(svg, "layer 0 head 0") == 0);
  Generator gen(3);
  CHECK_THROWS_WITH(attention_figure("t", {rand({2, 3, 3}, gen)}, kTokens, kTokens, {.panel_title = "alignment"}),
                    Contains("a panel title is for one layer of one head, got 1 layers of 2 heads"));
}

TEST_CASE("a figure is wide enough for its titles", "[viz][colour_scale]") {
  const std::string title = "decoder attention over the source, a title much wider than a 3 x 3 matrix";
  const std::string panel = "a panel title wider than its matrix";
  const HeatmapFigure fig = attention_figure(title, {one_head(0.5)}, kTokens, kTokens, {.panel_title = panel});
  const std::string svg = render_heatmaps(fig);
  CHECK(test::xml_problem(svg) == "");
  // Bold 15 px text is about 1.1 times text_width's estimate for regular text.
  CHECK(svg_width(svg) >= 1.1 * text_width(title, 15) + 24);
  // Every text anchored at its middle fits inside the document: none starts left of 0.
  size_t at = 0;
  while ((at = svg.find("text-anchor=\"middle\"", at)) != std::string::npos) {
    const size_t open = svg.rfind("<text", at);
    const size_t x_at = svg.find(" x=\"", open) + 4;
    const double x = std::stod(svg.substr(x_at, svg.find('"', x_at) - x_at));
    const size_t text_at = svg.find('>', at) + 1;
    const std::string text = svg.substr(text_at, svg.find('<', text_at) - text_at);
    if (text == title || text == panel) {
      const double size = text == title ? 15 : 12;
      CHECK(x - 1.1 * text_width(text, size) / 2 >= 0);
      CHECK(x + 1.1 * text_width(text, size) / 2 <= svg_width(svg));
    }
    ++at;
  }
}
