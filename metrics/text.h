// text.h — the Unicode text steps sacreBLEU takes before it counts n-grams, done on code
// points as Python does them on str: decoding, Python's str.split() and str.lower().
//
// Lines are decoded with data::next_code_point, so a byte that is not valid UTF-8 becomes
// U+DC80..U+DCFF (Python's "surrogateescape") and encode_utf8 writes it back as that byte:
// decode then encode returns any byte string unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qkv::metrics {

std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

// The words of `text` as Python's str.split() finds them: runs of characters between
// (Unicode) whitespace, data::is_unicode_space.
std::vector<std::u32string_view> split_words(std::u32string_view text);

// `text` without trailing whitespace, as Python's str.rstrip().
std::u32string_view strip_right(std::u32string_view text);

// Python's str.lower(): Unicode's lowercase mapping of every character (the tables of the
// Python that generated lowercase_table.h), İ (U+0130) to "i̇" (two characters), and capital
// sigma to final sigma ς at the end of a word (Unicode's Final_Sigma rule), as Python does.
std::u32string python_lower(std::u32string_view text);

}  // namespace qkv::metrics
