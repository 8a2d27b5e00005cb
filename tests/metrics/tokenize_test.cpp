// tokenize_test.cpp — the 13a tokeniser rule by rule, on cases worked out by hand from the rules
// in metrics/tokenize.h (sacreBLEU's tokenizer_13a.py and tokenizer_re.py); each expected string
// was also checked against those rules run in Python's re.
#include <catch2/catch.hpp>

#include <string>

#include "metrics/tokenize.h"
#include "tensor/error.h"

using namespace qkv::metrics;
using Catch::Contains;

TEST_CASE("13a splits symbols off words but keeps apostrophes and hyphens inside words", "[metrics][tokenize]") {
  CHECK(tokenize_13a(std::string_view("He said: \"it's 3.5-4,000 km.\"")) == "He said : \" it's 3.5 - 4,000 km . \"");
  CHECK(tokenize_13a(std::string_view("Dr. Smith-Jones (aged 42) paid $3,000.50!")) ==
        "Dr . Smith-Jones ( aged 42 ) paid $ 3,000.50 !");
  CHECK(tokenize_13a(std::string_view("it's 1990s-style")) == "it's 1990s-style");
  // Step 5: a dash after a digit is split off; a dash after a letter or at a word start is not.
  CHECK(tokenize_13a(std::string_view("2-3 9-x a-b -5")) == "2 - 3 9 - x a-b -5");
  // Every symbol of step 2, glued together: each stands alone.
  CHECK(tokenize_13a(std::string_view("a!\"#$%&()*+/:;<=>?@[\\]^_`{|}~b")) ==
        "a ! \" # $ % & ( ) * + / : ; < = > ? @ [ \\ ] ^ _ ` { | } ~ b");
}

TEST_CASE("13a splits periods and commas except between digits", "[metrics][tokenize]") {
  CHECK(tokenize_13a(std::string_view("A man, a plan.")) == "A man , a plan .");
  CHECK(tokenize_13a(std::string_view("1.5,2.5 3.14.15")) == "1.5,2.5 3.14.15");
  CHECK(tokenize_13a(std::string_view("U.S.A.")) == "U . S . A .");
  CHECK(tokenize_13a(std::string_view("e.g.,")) == "e . g . ,");
  // Non-overlapping pairs: in "a.." step 3 splits "a." only; step 4 then splits the rest.
  CHECK(tokenize_13a(std::string_view("a..")) == "a . .");
  CHECK(tokenize_13a(std::string_view("...")) == ". . .");
  CHECK(tokenize_13a(std::string_view("x.,y")) == "x . , y");
}

TEST_CASE("13a removes <skipped> and hyphenated line breaks and unescapes four entities", "[metrics][tokenize]") {
  CHECK(tokenize_13a(std::string_view("<skipped>word re-\nturn")) == "word return");
  CHECK(tokenize_13a(std::string_view("one\ntwo")) == "one two");
  // &amp; is unescaped after &quot;, so "&amp;quot;" becomes "&quot;" and stays (then is split).
  CHECK(tokenize_13a(std::string_view("&amp;quot; &lt;b&gt; &apos;")) == "& quot ; < b > & apos ;");
  CHECK(tokenize_13a(std::string_view("&quot;hi&quot;")) == "\" hi \"");
}

TEST_CASE("13a leaves non-ASCII characters alone and normalises whitespace", "[metrics][tokenize]") {
  CHECK(tokenize_13a(std::string_view("Straße, München.")) == "Straße , München .");
  CHECK(tokenize_13a(std::string_view("¿Qué? ¡Sí!")) == "¿Qué ? ¡Sí !");
  CHECK(tokenize_13a(std::string_view("x…y — z")) == "x…y — z");
  // An Arabic-Indic digit is not [0-9], so its period is split off.
  CHECK(tokenize_13a(std::string_view("٣.٣")) == "٣ . ٣");
  // U+00A0 and U+3000 are whitespace to str.split(), so they separate words.
  CHECK(tokenize_13a(std::string_view("  a\u00A0b\u3000c\t ")) == "a b c");
  CHECK(tokenize_13a(std::string_view("")) == "");
  CHECK(tokenize_13a(std::string_view("   ")) == "");
  // Invalid UTF-8 passes through byte for byte.
  CHECK(tokenize_13a(std::string_view("a\xFF.")) == "a\xFF .");
}

TEST_CASE("tokeniser names parse at the edge and unknown names are refused", "[metrics][tokenize]") {
  CHECK(parse_tokenize("13a") == Tokenize::mteval_13a);
  CHECK(parse_tokenize("none") == Tokenize::none);
  CHECK(tokenize_name(Tokenize::mteval_13a) == "13a");
  CHECK(tokenize_name(Tokenize::none) == "none");
  CHECK_THROWS_WITH(parse_tokenize("intl"), Contains("unknown tokeniser 'intl'") && Contains("13a, none"));
}
