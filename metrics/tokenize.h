// tokenize.h — how BLEU splits a line into words: sacreBLEU's "13a" tokeniser (mteval-v13a.pl's,
// the WMT standard and sacreBLEU's default) or "none" (the line's whitespace-separated words).
//
//   tokenize_13a("He said: \"it's 3.5-4,000 km.\"")  ->  "He said : \" it's 3.5 - 4,000 km . \""
//
// 13a, in order (sacreBLEU's tokenizer_13a.py and tokenizer_re.py; every step is on code points,
// as Python's str methods and re work on str):
//   1. remove "<skipped>"; remove "-\n" (a hyphenated line break); "\n" becomes a space;
//      "&quot;" "&amp;" "&lt;" "&gt;" become " & < > (in that order, each over the whole line);
//      then one space is added at each end.
//   2. each of the ASCII symbols  space ! " # $ % & ( ) * + / : ; < = > ? @ [ \ ] ^ _ ` { | } ~
//      gets a space on each side (not ' - . , which follow their own rules, nor digits or letters);
//   3. a . or , after a character that is not an ASCII digit: a space between and after;
//   4. a . or , before a character that is not an ASCII digit: a space before and between;
//   5. a - after an ASCII digit: a space between and after;
//   6. whitespace runs (Unicode, as str.split()) become one space, none at the ends.
// Steps 3 to 5 are each one left-to-right pass that replaces non-overlapping pairs, exactly as
// Python's re.sub does with a two-character pattern: in "a.." only the first pair ("a.") matches
// in step 3, and step 4 then splits ". ." further. Everything outside ASCII passes through
// untouched, so "Straße," becomes "Straße ,", and "٣." (an Arabic-Indic digit) counts as a
// non-digit. Nothing is lowercased here.
#pragma once

#include <string>
#include <string_view>

namespace qkv::metrics {

enum class Tokenize {
  none,        // the words of the line as they are (already tokenised text)
  mteval_13a,  // sacreBLEU's default
};

// "13a" or "none", the names sacreBLEU's signatures and --tokenize use.
std::string_view tokenize_name(Tokenize tokenize);
// The inverse, for command lines and config files; any other name throws qkv::Error listing both.
Tokenize parse_tokenize(std::string_view name);

std::u32string tokenize_13a(std::u32string_view line);
std::string tokenize_13a(std::string_view line);  // UTF-8 in and out (see text.h for invalid bytes)

}  // namespace qkv::metrics
