// svg_test.cpp — the SVG building blocks: escaping, numbers, nice ticks, the colour map, and
// the checker the other viz tests rely on.
#include <catch2/catch.hpp>

#include <string>

#include "io/test_temp_dir.h"
#include "tensor/error.h"
#include "viz/colormap.h"
#include "viz/scale.h"
#include "viz/svg.h"
#include "xml_check.h"

using namespace qkv;
using namespace qkv::viz;
using Catch::Contains;

TEST_CASE("xml_escape escapes markup and replaces what XML cannot hold", "[viz][svg]") {
  CHECK(xml_escape("a < b & c > \"d\" 'e'") == "a &lt; b &amp; c &gt; &quot;d&quot; &apos;e&apos;");
  CHECK(xml_escape("<eos>") == "&lt;eos&gt;");
  CHECK(xml_escape("Straße ünd 日本") == "Straße ünd 日本");  // valid UTF-8 passes through
  CHECK(xml_escape(std::string("a\0b", 3)) ==
        "a\xEF\xBF\xBD"
        "b");  // NUL is not allowed in XML
  CHECK(xml_escape("tab\there") == "tab\there");
  CHECK(xml_escape("\x1b[0m") == "\xEF\xBF\xBD[0m");
  CHECK(xml_escape("bad \xC3 byte") == "bad \xEF\xBF\xBD byte");                // truncated sequence
  CHECK(xml_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong encoding
  CHECK(xml_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST_CASE("svg_number prints at most two decimals", "[viz][svg]") {
  CHECK(svg_number(3) == "3");
  CHECK(svg_number(12.5) == "12.5");
  CHECK(svg_number(-0.25) == "-0.25");
  CHECK(svg_number(1.0 / 3) == "0.33");
  CHECK(svg_number(-0.001) == "0");
  CHECK(svg_number(100.999) == "101");
}

TEST_CASE("nice_ticks picks 1-2-5 steps inside the range", "[viz][scale]") {
  CHECK(nice_ticks(0.13, 4.87) == std::vector<double>{1, 2, 3, 4});
  CHECK(nice_ticks(0, 10) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(nice_ticks(-1, 1, 4) == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  const auto small = nice_ticks(0.001, 0.0042, 3);
  REQUIRE(small.size() == 4);
  CHECK(small[0] == Approx(0.001));
  CHECK(small[3] == Approx(0.004));
  CHECK(nice_step(0, 1000, 5) == 200);
  CHECK_THROWS_WITH(nice_ticks(1, 1), Contains("lo < hi"));
  CHECK_THROWS_WITH(nice_ticks(0, std::nan("")), Contains("finite"));
  CHECK(tick_label(0.25, 0.05) == "0.25");
  CHECK(tick_label(2, 1) == "2");
  CHECK(tick_label(2, 0.5) == "2.0");
  CHECK(tick_label(0, 0.1) == "0");
  CHECK(tick_label(3e6, 1e6) == "3e+06");
  const LinearScale s{0, 5, 60, 660};
  CHECK(s(2.5) == 360);
  CHECK(padded_range(2, 2) == std::pair<double, double>{1, 3});
  CHECK(padded_range(0, 0) == std::pair<double, double>{-1, 1});
}

TEST_CASE("viridis runs from dark purple to yellow", "[viz][colormap]") {
  CHECK(viridis(0) == "#440154");
  CHECK(viridis(1) == "#fde725");
  CHECK(viridis(-3) == "#440154");
  CHECK(viridis(7) == "#fde725");
  CHECK(viridis(std::nan("")) == "#440154");
  CHECK(viridis(0.5) == "#21918c");
}

TEST_CASE("Svg builds a well-formed document and saves it atomically", "[viz][svg]") {
  Svg svg(100, 50);
  svg.begin_group("a&b");
  svg.rect(0, 0, 10, 10, "#fff", "#000");
  svg.text(5, 5, "x < y", {.size = 10, .anchor = "middle", .rotate = -90});
  svg.polyline({{0, 0}, {1, 2}}, "red");
  const std::string doc = svg.finish();  // closes the open group
  CHECK(test::xml_problem(doc) == "");
  CHECK_THAT(doc, Contains("x &lt; y") && Contains("class=\"a&amp;b\"") && Contains("rotate(-90 5 5)"));
  CHECK_THROWS_WITH(Svg(0, 10), Contains("positive"));

  test::TempDir dir;
  save_svg(dir.file("s.svg"), doc);
  CHECK(test::read_bytes(dir.file("s.svg")) == doc);
  CHECK(dir.entries() == std::vector<std::string>{"s.svg"});
  CHECK_THROWS_WITH(save_svg(dir.file("missing/s.svg"), doc), Contains("missing/s.svg"));
}

TEST_CASE("the XML checker catches broken documents", "[viz][svg]") {
  CHECK(test::xml_problem("<a><b/></a>") == "");
  CHECK(test::xml_problem("<a><b></a>") != "");
  CHECK(test::xml_problem("<a>x & y</a>") != "");
  CHECK(test::xml_problem("<a>x < y</a>") != "");
  CHECK(test::xml_problem("<a x=\"<\"/>") != "");
  CHECK(test::xml_problem("<a></a><b/>") != "");
  CHECK(test::xml_problem("<a>") != "");
}
