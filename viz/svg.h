// svg.h — Svg: a minimal SVG document builder (rectangles, lines, polylines, circles, text,
// groups), with XML escaping of all text and attribute values it is given.
//
//   Svg svg(400, 300);
//   svg.rect(0, 0, 400, 300, "#ffffff");
//   svg.text(200, 20, "a < b & c", {.size = 14, .anchor = "middle"});
//   save_svg("plot.svg", svg.finish());
//
// The plots in viz/ are built on it. What it does not do: measure text (text_width is an
// estimate), styles beyond the attributes below, or parse SVG.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qkv::viz {

// Escapes &, <, >, " and ' for XML text and attribute values. Control characters XML forbids
// and invalid UTF-8 sequences become U+FFFD, so any byte string yields a well-formed document.
std::string xml_escape(std::string_view text);

// A coordinate with at most two decimals and no trailing zeros ("12.5", "3", "-0.25").
std::string svg_number(double v);

// Rough width in pixels of `text` at `size` px in a sans-serif font (0.6 em per character).
double text_width(std::string_view text, double size);

struct TextStyle {
  double size = 12;
  std::string_view anchor = "start";   // start | middle | end
  std::string_view baseline = "auto";  // auto | middle | hanging
  double rotate = 0;                   // degrees, about (x, y)
  bool bold = false;
  std::string_view fill = "#222222";
};

class Svg {
 public:
  Svg(double width, double height);

  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke = "");
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view dash = "");
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width = 1.5);
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view stroke = "");
  void text(double x, double y, std::string_view content, const TextStyle& style = {});
  // <g class="..."> ... </g>; `cls` is escaped. crisp_edges turns off anti-aliasing inside,
  // so abutting rectangles (heatmap cells) show no seams between them.
  void begin_group(std::string_view cls, bool crisp_edges = false);
  void end_group();
  // A vertical linear gradient (bottom to top) usable as fill="url(#id)".
  void vertical_gradient(std::string_view id, const std::vector<std::string>& colours_bottom_to_top);

  // The complete document (closes open groups).
  std::string finish() const;

 private:
  std::string body_;
  double width_;
  double height_;
  int open_groups_ = 0;
};

// Writes `svg_text` to `path` atomically (temporary file + rename); throws qkv::Error on failure.
void save_svg(const std::string& path, const std::string& svg_text);

}  // namespace qkv::viz
