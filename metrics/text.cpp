// text.cpp — decoding, whitespace splitting and Python's lowercasing (see text.h).
#include "metrics/text.h"

#include <algorithm>
#include <span>

#include "data/utf8.h"
#include "metrics/lowercase_table.h"

namespace qkv::metrics {
namespace {

constexpr char32_t kCapitalSigma = 0x3A3, kSmallSigma = 0x3C3, kFinalSigma = 0x3C2;
constexpr char32_t kCapitalIWithDot = 0x130, kCombiningDotAbove = 0x307;

bool in_ranges(std::span<const lowercase_table::Range> ranges, char32_t c) {
  // The ranges are sorted and disjoint: find the last one starting at or before c.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](char32_t x, const lowercase_table::Range& r) { return x < r.first; });
  return it != ranges.begin() && c <= std::prev(it)->last;
}

char32_t lower_one(char32_t c) {
  const auto& runs = lowercase_table::kLowerRuns;
  auto it = std::upper_bound(std::begin(runs), std::end(runs), c,
                             [](char32_t x, const lowercase_table::LowerRun& r) { return x < r.first; });
  if (it == std::begin(runs)) return c;
  const auto& run = *std::prev(it);
  if (c > run.last || (c - run.first) % run.stride != 0) return c;
  return static_cast<char32_t>(static_cast<int32_t>(c) + run.delta);
}

bool case_ignorable(char32_t c) { return in_ranges(lowercase_table::kCaseIgnorable, c); }
bool cased_not_ignorable(char32_t c) { return in_ranges(lowercase_table::kCasedNotIgnorable, c); }

// Unicode's Final_Sigma condition for the capital sigma at text[i]: a cased letter before it and
// none after it, looking through case-ignorable characters on both sides.
bool final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && case_ignorable(text[j - 1])) --j;
  if (j == 0 || !cased_not_ignorable(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && case_ignorable(text[k])) ++k;
  return k == text.size() || !cased_not_ignorable(text[k]);
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) out.push_back(data::next_code_point(text, pos));
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : text) {
    const auto byte = [&](uint32_t b) { out.push_back(static_cast<char>(b)); };
    if (c < 0x80) {
      byte(c);
    } else if (c >= 0xDC80 && c <= 0xDCFF) {
      byte(c - 0xDC00);  // an undecodable byte, restored (surrogateescape)
    } else if (c < 0x800) {
      byte(0xC0 | (c >> 6)), byte(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      byte(0xE0 | (c >> 12)), byte(0x80 | ((c >> 6) & 0x3F)), byte(0x80 | (c & 0x3F));
    } else {
      byte(0xF0 | (c >> 18)), byte(0x80 | ((c >> 12) & 0x3F)), byte(0x80 | ((c >> 6) & 0x3F)), byte(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::vector<std::u32string_view> split_words(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && data::is_unicode_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !data::is_unicode_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::u32string_view strip_right(std::u32string_view text) {
  size_t end = text.size();
  while (end > 0 && data::is_unicode_space(text[end - 1])) --end;
  return text.substr(0, end);
}

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == kCapitalIWithDot) {
      out.push_back(U'i');
      out.push_back(kCombiningDotAbove);
    } else if (c == kCapitalSigma) {
      out.push_back(final_sigma(text, i) ? kFinalSigma : kSmallSigma);
    } else {
      out.push_back(lower_one(c));
    }
  }
  return out;
}

}  // namespace qkv::metrics
