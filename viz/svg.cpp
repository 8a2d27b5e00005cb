// svg.cpp — the SVG builder: escaping, number formatting and element strings.
#include "viz/svg.h"

#include <fmt/format.h>

#include <cmath>

#include "io/atomic_file.h"
#include "tensor/error.h"

namespace qkv::viz {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not valid.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    cp = b & 0x07;
  } else
    return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  const bool not_xml = cp == 0xFFFE || cp == 0xFFFF || cp > 0x10FFFF;
  return overlong || surrogate || not_xml ? 0 : n;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t':
      case '\n':
      case '\r': out += c; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
          out += kReplacement;
        else
          out += c;
    }
    ++i;
  }
  return out;
}

std::string svg_number(double v) {
  if (std::abs(v) < 0.005) return "0";
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

double text_width(std::string_view text, double size) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // count code points
  return 0.6 * size * static_cast<double>(chars);
}

Svg::Svg(double width, double height) : width_(width), height_(height) {
  check(width > 0 && height > 0 && std::isfinite(width) && std::isfinite(height),
        "Svg: the size must be positive and finite, got {} x {}", width, height);
}

void Svg::rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke) {
  body_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}")", svg_number(x), svg_number(y),
                       svg_number(w), svg_number(h), xml_escape(fill));
  if (!stroke.empty()) body_ += fmt::format(R"( stroke="{}")", xml_escape(stroke));
  body_ += "/>\n";
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               std::string_view dash) {
  body_ += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}")", svg_number(x1),
                       svg_number(y1), svg_number(x2), svg_number(y2), xml_escape(stroke), svg_number(width));
  if (!dash.empty()) body_ += fmt::format(R"( stroke-dasharray="{}")", xml_escape(dash));
  body_ += "/>\n";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width) {
  body_ += R"(<polyline fill="none" stroke-linejoin="round" points=")";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i > 0) body_ += ' ';
    body_ += svg_number(points[i].first);
    body_ += ',';
    body_ += svg_number(points[i].second);
  }
  body_ += fmt::format(R"(" stroke="{}" stroke-width="{}"/>)", xml_escape(stroke), svg_number(width));
  body_ += "\n";
}

void Svg::circle(double cx, double cy, double r, std::string_view fill, std::string_view stroke) {
  body_ += fmt::format(R"(<circle cx="{}" cy="{}" r="{}" fill="{}")", svg_number(cx), svg_number(cy), svg_number(r),
                       xml_escape(fill));
  if (!stroke.empty()) body_ += fmt::format(R"( stroke="{}")", xml_escape(stroke));
  body_ += "/>\n";
}

void Svg::text(double x, double y, std::string_view content, const TextStyle& style) {
  body_ += fmt::format(R"(<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}")", svg_number(x), svg_number(y),
                       svg_number(style.size), xml_escape(style.anchor), xml_escape(style.fill));
  if (style.baseline != "auto") body_ += fmt::format(R"( dominant-baseline="{}")", xml_escape(style.baseline));
  if (style.bold) body_ += R"( font-weight="bold")";
  if (style.rotate != 0) {
    body_ +=
        fmt::format(R"svg( transform="rotate({} {} {})")svg", svg_number(style.rotate), svg_number(x), svg_number(y));
  }
  body_ += '>';
  body_ += xml_escape(content);
  body_ += "</text>\n";
}

void Svg::begin_group(std::string_view cls, bool crisp_edges) {
  body_ += fmt::format("<g class=\"{}\"{}>\n", xml_escape(cls), crisp_edges ? " shape-rendering=\"crispEdges\"" : "");
  ++open_groups_;
}

void Svg::end_group() {
  check(open_groups_ > 0, "Svg::end_group: no group is open");
  body_ += "</g>\n";
  --open_groups_;
}

void Svg::vertical_gradient(std::string_view id, const std::vector<std::string>& colours_bottom_to_top) {
  check(colours_bottom_to_top.size() >= 2, "Svg::vertical_gradient: needs at least two colours");
  body_ += fmt::format(R"(<defs><linearGradient id="{}" x1="0" y1="1" x2="0" y2="0">)", xml_escape(id));
  const double last = static_cast<double>(colours_bottom_to_top.size() - 1);
  for (size_t i = 0; i < colours_bottom_to_top.size(); ++i) {
    body_ += fmt::format(R"(<stop offset="{}" stop-color="{}"/>)", svg_number(static_cast<double>(i) / last),
                         xml_escape(colours_bottom_to_top[i]));
  }
  body_ += "</linearGradient></defs>\n";
}

std::string Svg::finish() const {
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      svg_number(width_), svg_number(height_));
  out += body_;
  for (int i = 0; i < open_groups_; ++i) out += "</g>\n";
  out += "</svg>\n";
  return out;
}

void save_svg(const std::string& path, const std::string& svg_text) { write_file_atomically(path, svg_text); }

}  // namespace qkv::viz
