// utf8.h — the few UTF-8 facts the data pipeline and the metrics need: where the next
// character ends, whether a byte string is valid UTF-8, and which characters are whitespace.
//
// Valid means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF. This file does no normalisation, case folding or escaping.
#pragma once

#include <cstdint>
#include <string_view>

namespace qkv::data {

// The length in bytes (1..4) of the valid UTF-8 character that starts at text[pos], or 0 if
// the bytes at pos are not one. pos must be < text.size().
int utf8_char_length(std::string_view text, size_t pos);

// The byte offset (0-based) of the first byte that is not part of a valid UTF-8 character,
// or std::string_view::npos if the whole text is valid.
size_t first_invalid_utf8(std::string_view text);

// Decodes the character at text[pos] and advances pos past it. An invalid byte decodes to
// U+DC00 + byte (Python's "surrogateescape"), one byte at a time, so any input can be read.
char32_t next_code_point(std::string_view text, size_t& pos);

// ASCII whitespace as std::isspace sees it in the C locale: space, \t, \n, \v, \f, \r.
inline bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
// True for "" and for text of ASCII whitespace only: what the corpus readers call an empty line.
inline bool is_ascii_blank(std::string_view text) {
  for (char c : text)
    if (!is_ascii_space(c)) return false;
  return true;
}

// The code points Python's str.split() and str.isspace() treat as whitespace (ASCII
// whitespace, the file/group/record/unit separators U+001C..U+001F, U+0085, U+00A0 and the
// Unicode space separators); the metrics split text exactly as sacreBLEU does.
bool is_unicode_space(char32_t c);

}  // namespace qkv::data
