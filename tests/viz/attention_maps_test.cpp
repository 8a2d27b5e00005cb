// attention_maps_test.cpp — attention_figure: one panel per (layer, head) titled "layer L head H",
// heads as grid columns, the tokens as labels on every panel, and errors naming the problem for
// mismatched token counts or shapes.
#include <catch2/catch.hpp>

#include "tensor/error.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "viz/attention_maps.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::viz;
using Catch::Contains;

namespace {

const std::vector<std::string> kQueries{"<bos>", "a", "&", "b"};
const std::vector<std::string> kKeys{"x", "<y>", "z"};

std::vector<Tensor> layers(int count, int64_t heads, Generator& gen) {
  std::vector<Tensor> out;
  for (int i = 0; i < count; ++i) out.push_back(rand({heads, 4, 3}, gen));
  return out;
}

}  // namespace

TEST_CASE("attention_figure has one panel per layer and head, heads as columns", "[viz][attention_maps]") {
  Generator gen(1);
  const std::vector<Tensor> maps = layers(2, 3, gen);
  const HeatmapFigure fig = attention_figure("encoder self-attention", maps, kQueries, kKeys);
  REQUIRE(fig.panels.size() == 6);
  CHECK(fig.columns == 3);
  CHECK(fig.title == "encoder self-attention");
  CHECK(fig.panels[0].title == "layer 0 head 0");
  CHECK(fig.panels[2].title == "layer 0 head 2");
  CHECK(fig.panels[4].title == "layer 1 head 1");
  for (const HeatmapPanel& p : fig.panels) {
    CHECK(p.row_labels == kQueries);
    CHECK(p.col_labels == kKeys);
    CHECK(p.values.shape() == Shape{4, 3});
  }
  // Panel (layer 1, head 2) shows exactly that slice.
  const std::vector<float> layer1 = to_vector<float>(maps[1]);  // (3, 4, 3): head 2 is the last 12
  CHECK(to_vector<float>(fig.panels[5].values) == std::vector<float>(layer1.begin() + 24, layer1.end()));

  const std::string svg = render_heatmaps(fig);
  CHECK(test::xml_problem(svg) == "");
  CHECK(test::count_of(svg, "<g class=\"panel\">") == 6);
  CHECK(test::count_of(svg, ">layer 1 head 2<") == 1);
  CHECK(test::count_of(svg, ">&lt;y&gt;<") == 6);  // escaped key token, once per panel
  CHECK(test::count_of(svg, ">&lt;bos&gt;<") == 6);
}

TEST_CASE("attention_figure rejects mismatched tokens and shapes", "[viz][attention_maps]") {
  Generator gen(2);
  const std::vector<Tensor> maps = layers(2, 2, gen);
  CHECK_THROWS_WITH(attention_figure("t", maps, {"a", "b", "c"}, kKeys),
                    Contains("do not match 3 query tokens and 3 key tokens") && Contains("[2, 4, 3]"));
  CHECK_THROWS_WITH(attention_figure("t", maps, kQueries, {"x", "y"}), Contains("2 key tokens"));
  CHECK_THROWS_WITH(attention_figure("t", {}, kQueries, kKeys), Contains("no layers"));
  CHECK_THROWS_WITH(attention_figure("t", {rand({4, 3}, gen)}, kQueries, kKeys), Contains("must be (H, Tq, Tk)"));
  CHECK_THROWS_WITH(attention_figure("t", {rand({2, 4, 3}, gen), rand({3, 4, 3}, gen)}, kQueries, kKeys),
                    Contains("layer 1 has 3 heads, layer 0 has 2"));
  CHECK_THROWS_AS(attention_figure("t", {rand({1, 2, 4, 3}, gen)}, kQueries, kKeys), Error);
}
