// tokenize.cpp — sacreBLEU's 13a tokeniser on code points (the rules are in tokenize.h).
#include "metrics/tokenize.h"

#include "metrics/text.h"
#include "tensor/error.h"

namespace qkv::metrics {
namespace {

bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_period_or_comma(char32_t c) { return c == U'.' || c == U','; }

// Step 2's symbols: the ASCII ranges space..&, (..+, /, :..@, [..`, {..~.
bool is_split_symbol(char32_t c) {
  return (c >= 0x20 && c <= 0x26) || (c >= 0x28 && c <= 0x2B) || c == 0x2F || (c >= 0x3A && c <= 0x40) ||
         (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// Python's str.replace: every non-overlapping occurrence, left to right.
std::u32string replace_all(std::u32string_view text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit = text.find(from); hit != std::u32string_view::npos; hit = text.find(from, pos)) {
    out.append(text.substr(pos, hit - pos)).append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// One re.sub pass of a two-character pattern: where `matches(a, b)` holds for the pair at i,
// write `replace(a, b)` and continue after the pair; otherwise copy one character.
template <typename Matches, typename Replace>
std::u32string replace_pairs(const std::u32string& text, Matches matches, Replace replace) {
  std::u32string out;
  out.reserve(text.size() * 2);
  size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && matches(text[i], text[i + 1])) {
      replace(out, text[i], text[i + 1]);
      i += 2;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace

std::string_view tokenize_name(Tokenize tokenize) { return tokenize == Tokenize::mteval_13a ? "13a" : "none"; }

Tokenize parse_tokenize(std::string_view name) {
  if (name == "13a") return Tokenize::mteval_13a;
  if (name == "none") return Tokenize::none;
  throw Error(fmt::format("tokenize: unknown tokeniser '{}' (known: 13a, none)", name));
}

std::u32string tokenize_13a(std::u32string_view line) {
  // 1. The language-independent part.
  std::u32string s = replace_all(line, U"<skipped>", U"");
  s = replace_all(s, U"-\n", U"");
  s = replace_all(s, U"\n", U" ");
  s = replace_all(s, U"&quot;", U"\"");
  s = replace_all(s, U"&amp;", U"&");
  s = replace_all(s, U"&lt;", U"<");
  s = replace_all(s, U"&gt;", U">");
  s = U" " + s + U" ";

  // 2. Symbols stand alone.
  std::u32string spaced;
  spaced.reserve(s.size() * 2);
  for (const char32_t c : s) {
    if (is_split_symbol(c)) {
      spaced.push_back(U' '), spaced.push_back(c), spaced.push_back(U' ');
    } else {
      spaced.push_back(c);
    }
  }
  // 3. A period or comma not preceded by a digit:  x.  ->  x . (then a space)
  s = replace_pairs(
      spaced, [](char32_t a, char32_t b) { return !is_ascii_digit(a) && is_period_or_comma(b); },
      [](std::u32string& out, char32_t a, char32_t b) {
        out.append({a, U' ', b, U' '});
      });
  // 4. A period or comma not followed by a digit:  .x  ->  (a space) . x
  s = replace_pairs(
      s, [](char32_t a, char32_t b) { return is_period_or_comma(a) && !is_ascii_digit(b); },
      [](std::u32string& out, char32_t a, char32_t b) {
        out.append({U' ', a, U' ', b});
      });
  // 5. A dash after a digit:  3-  ->  3 - (then a space)
  s = replace_pairs(
      s, [](char32_t a, char32_t b) { return is_ascii_digit(a) && b == U'-'; },
      [](std::u32string& out, char32_t a, char32_t b) {
        out.append({a, U' ', b, U' '});
      });

  // 6. Single spaces between words.
  std::u32string out;
  out.reserve(s.size());
  for (const std::u32string_view word : split_words(s)) {
    if (!out.empty()) out.push_back(U' ');
    out.append(word);
  }
  return out;
}

std::string tokenize_13a(std::string_view line) {
  return encode_utf8(tokenize_13a(std::u32string_view(decode_utf8(line))));
}

}  // namespace qkv::metrics
