// text_test.cpp — the Python string steps the metrics copy: str.lower() (expected values from
// Python 3.11's str.lower(), written out as code points), str.split() and str.rstrip(), and the
// UTF-8 round trip including bytes that are not UTF-8.
#include <catch2/catch.hpp>

#include <string>

#include "metrics/text.h"

using namespace qkv::metrics;

namespace {
std::string lower(std::string_view utf8) { return encode_utf8(python_lower(decode_utf8(utf8))); }
}  // namespace

TEST_CASE("python_lower lowercases Latin Greek Cyrillic full-width and astral letters", "[metrics][text]") {
  CHECK(lower("A Man IN an Orange HAT.") == "a man in an orange hat.");
  CHECK(lower("ÄÖÜ ẞ STRASSE") == "äöü ß strasse");  // U+1E9E capital sharp s -> U+00DF
  CHECK(lower("ЁЛКА Ω") == "ёлка ω");
  CHECK(lower("\u01C5") == "\u01C6");                                            // titlecase Dž -> dž
  CHECK(lower("\u2126\u212A\u212B") == "\u03C9k\u00E5");                         // ohm, kelvin, angstrom signs
  CHECK(lower("\U00010400\U00010401 \uFF21") == "\U00010428\U00010429 \uFF41");  // Deseret, full-width A
  CHECK(lower("ß 123 ,.!") == "ß 123 ,.!");                                      // no lowercase: unchanged
}

TEST_CASE("python_lower: İ becomes two characters and capital sigma is final at a word end", "[metrics][text]") {
  CHECK(lower("İstanbul") == "i\u0307stanbul");
  // Final_Sigma: a cased letter before (looking through case-ignorable ones like U+0301) and
  // no cased letter after.
  CHECK(lower("ΟΔΟΣ ΟΔΟΣ.") == "οδος οδος.");
  CHECK(lower("Σ") == "σ");                    // nothing cased before it
  CHECK(lower("ΑΣΑ") == "ασα");                // a cased letter after it
  CHECK(lower("ΑΣ\u0301 x") == "ας\u0301 x");  // the accent after it is looked through
  CHECK(lower("Α\u0301Σ") == "α\u0301ς");      // and so is one before it
  CHECK(lower("ΑΣ\u00ADΑ") == "ασ\u00ADα");    // soft hyphen is case-ignorable: Α follows
}

TEST_CASE("split_words and strip_right follow str.split() and str.rstrip()", "[metrics][text]") {
  const std::u32string text = U"  ein\u00A0Mann\u2003fährt \t";
  const auto words = split_words(text);
  REQUIRE(words.size() == 3);
  CHECK(words[0] == U"ein");
  CHECK(words[1] == U"Mann");
  CHECK(words[2] == U"fährt");
  CHECK(strip_right(text) == U"  ein\u00A0Mann\u2003fährt");
  CHECK(split_words(U"").empty());
  CHECK(strip_right(U" \u3000") == U"");
}

TEST_CASE("decode_utf8 then encode_utf8 gives back any bytes", "[metrics][text]") {
  const std::string text = "ok \xC3\xA4 \xE2\x82\xAC \xF0\x9F\x98\x80 bad:\xFF\xC3 \xED\xA0\x80";
  CHECK(encode_utf8(decode_utf8(text)) == text);
  CHECK(decode_utf8("\xC3\xA4\xFF") == U"\u00E4\xDCFF");  // an invalid byte is U+DC00 + byte
  CHECK(lower("A\xFF") == "a\xFF");
}
