// fuzz_utf8.cpp — UTF-8 decoding (data/utf8.h) on arbitrary bytes, against an independent
// reference: the RFC 3629 validity rule written as the table of well-formed byte sequences
// (Unicode 15, table 3-7), and re-encoding what was decoded.
//
// Properties: first_invalid_utf8 finds the first byte the table rejects; utf8_char_length
// agrees with the table at every character start; next_code_point walks the text in steps of
// utf8_char_length (1 for a bad byte), gives U+DC00 + byte for a bad byte and otherwise a
// scalar value whose UTF-8 encoding is exactly the bytes it consumed; is_unicode_space never
// holds for a non-space ASCII byte.
#include <string>

#include "data/utf8.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace qkv;

// The length of the well-formed sequence at text[pos] by table 3-7, or 0.
int reference_length(std::string_view text, size_t pos) {
  const auto at = [&](size_t i) -> int { return i < text.size() ? static_cast<unsigned char>(text[i]) : -1; };
  const auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
  const int b0 = at(pos), b1 = at(pos + 1), b2 = at(pos + 2), b3 = at(pos + 3);
  if (in(b0, 0x00, 0x7F)) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(b1, 0x80, 0xBF) ? 2 : 0;
  if (b0 == 0xE0) return in(b1, 0xA0, 0xBF) && in(b2, 0x80, 0xBF) ? 3 : 0;
  if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) return in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF) ? 3 : 0;
  if (b0 == 0xED) return in(b1, 0x80, 0x9F) && in(b2, 0x80, 0xBF) ? 3 : 0;
  if (b0 == 0xF0) return in(b1, 0x90, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
  if (in(b0, 0xF1, 0xF3)) return in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
  if (b0 == 0xF4) return in(b1, 0x80, 0x8F) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

std::string encode(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  size_t first_bad = std::string_view::npos;
  size_t pos = 0;
  while (pos < text.size()) {
    const int expected = reference_length(text, pos);
    if (data::utf8_char_length(text, pos) != expected)
      fuzz::property_failed("utf8_char_length disagrees with table 3-7");
    if (expected == 0 && first_bad == std::string_view::npos) first_bad = pos;
    size_t next = pos;
    const char32_t c = data::next_code_point(text, next);
    if (expected == 0) {
      if (next != pos + 1 || c != char32_t{0xDC00} + static_cast<unsigned char>(text[pos])) {
        fuzz::property_failed("next_code_point did not escape a bad byte as U+DC00 + byte");
      }
    } else {
      if (next != pos + static_cast<size_t>(expected)) fuzz::property_failed("next_code_point stepped wrongly");
      if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) fuzz::property_failed("decoded a non-scalar value");
      if (encode(c) != text.substr(pos, next - pos))
        fuzz::property_failed("a decoded character re-encodes differently");
    }
    if (c < 0x80 &&
        data::is_unicode_space(c) != (data::is_ascii_space(static_cast<char>(c)) || (c >= 0x1C && c <= 0x1F))) {
      fuzz::property_failed("is_unicode_space disagrees with ASCII whitespace");
    }
    pos = next;
  }
  if (data::first_invalid_utf8(text) != first_bad)
    fuzz::property_failed("first_invalid_utf8 is not the first bad byte");
  return 0;
}
