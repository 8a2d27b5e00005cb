// tokenizer_test.cpp — the whitespace and BPE tokenizers: hand-worked merges, exact round
// trips (unicode, unseen characters, a literal "</w>"), serialization and corrupt texts.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/bpe.h"
#include "data/tokenizer.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;
using Merges = std::vector<BpeMerge>;

TEST_CASE("the whitespace tokenizer splits on runs of whitespace and joins with one space", "[data][bpe]") {
  auto tok = make_whitespace_tokenizer();
  CHECK(tok->name() == "whitespace");
  CHECK(tok->encode("  a man\t rides  .\r") == Strings{"a", "man", "rides", "."});
  CHECK(tok->encode("").empty());
  CHECK(tok->decode({"a", "man", "rides", "."}) == "a man rides .");
  CHECK(tok->encode("über\u00A0café") == Strings{"über\u00A0café"});  // no-break space is not a separator
  auto again = deserialize_tokenizer(tok->serialize());
  CHECK(again->name() == "whitespace");
  CHECK(again->encode("x  y") == Strings{"x", "y"});
}

// The textbook example, worked by hand. Words and counts:
//   low ×5 = l o w</w>,  lower ×2 = l o w e r</w>,  newest ×6 = n e w e s t</w>,  widest ×3 = w i d e s t</w>
// Pair counts at the start: (e, s) 6+3 = 9, (s, t</w>) 9, (l, o) 7, (o, w</w>) 5, (w, e) 2+6 = 8, ...
//   merge 1: the tie (e, s) 9 vs (s, t</w>) 9 goes to the smaller text: "e" < "s", so (e, s).
//   Now newest = n e w es t</w>, widest = w i d es t</w>; (es, t</w>) = 9 is the maximum.
//   merge 2: (es, t</w>) -> est</w>.
//   merge 3: (l, o) 7 -> lo.   merge 4: (lo, w</w>)? lo w</w> ×5 vs (n, e) 6, (e, w) 6, (w, est</w>) 6:
//   counts: (lo, w</w>) 5, (lo, w) 2, (n, e) 6, (e, w) 6, (w, est</w>) 6 (newest), (w, i) 3 ...
//   the maximum 6 is shared by (e, w), (n, e), (w, est</w>): "e" < "n" < "w", so merge 4 is (e, w).
TEST_CASE("learn_bpe_merges reproduces the hand-worked textbook merges and tie-breaks", "[data][bpe]") {
  Strings lines;
  for (int i = 0; i < 5; ++i) lines.push_back("low");
  for (int i = 0; i < 2; ++i) lines.push_back("lower");
  for (int i = 0; i < 6; ++i) lines.push_back("newest");
  for (int i = 0; i < 3; ++i) lines.push_back("widest");
  const Merges merges = learn_bpe_merges(lines, 4);
  CHECK(merges == Merges{{"e", "s"}, {"es", "t</w>"}, {"l", "o"}, {"e", "w"}});
  // The order of the lines does not matter, only the counts.
  Strings shuffled(lines.rbegin(), lines.rend());
  CHECK(learn_bpe_merges(shuffled, 4) == merges);
}

TEST_CASE("learning stops when no pair occurs min_pair_count times", "[data][bpe]") {
  // "ab ab cd": (a, b</w>) occurs twice, (c, d</w>) once.
  CHECK(learn_bpe_merges({"ab ab cd"}, 100) == Merges{{"a", "b</w>"}});
  CHECK(learn_bpe_merges({"ab ab cd"}, 100, 1) == Merges{{"a", "b</w>"}, {"c", "d</w>"}});
  CHECK(learn_bpe_merges({"ab ab cd"}, 0).empty());
  CHECK_THROWS_WITH(learn_bpe_merges({"x"}, -1), Contains("num_merges"));
}

TEST_CASE("a pair inside repeated symbols is counted and merged without overlap", "[data][bpe]") {
  // "aaaa" ×2 = a a a a</w>: (a, a) occurs twice per word (positions 0-1, 1-2) -> count 4.
  // Merging gives aa a a</w>; then (aa, a) 2, (a, a</w>) 2; tie: "a" < "aa", so (a, a</w>).
  const Merges merges = learn_bpe_merges({"aaaa aaaa"}, 3);
  REQUIRE(merges.size() == 3);
  CHECK(merges[0] == BpeMerge{"a", "a"});
  CHECK(merges[1] == BpeMerge{"a", "a</w>"});
  CHECK(merges[2] == BpeMerge{"aa", "aa</w>"});
  BpeTokenizer tok(merges);
  CHECK(tok.encode("aaaa") == Strings{"aaaa</w>"});
  CHECK(tok.encode("aaa") == Strings{"aa", "a</w>"});
}

TEST_CASE("BPE encodes by merge rank with the end-of-word marker and decodes exactly", "[data][bpe]") {
  BpeTokenizer tok(Merges{{"e", "s"}, {"es", "t</w>"}, {"l", "o"}, {"e", "w"}, {"lo", "w</w>"}});
  CHECK(tok.name() == "bpe");
  CHECK(tok.encode("lowest newer low") == Strings{"lo", "w", "est</w>", "n", "ew", "e", "r</w>", "low</w>"});
  CHECK(tok.decode(tok.encode("lowest newer low")) == "lowest newer low");
  CHECK(tok.encode("") == Strings{});
  CHECK(tok.decode({}) == "");
  CHECK(tok.encode("  low \t lowest ") == tok.encode("low lowest"));
  // A decode of model output that stops mid-word keeps what it has.
  CHECK(tok.decode({"lo", "w"}) == "low");
}

TEST_CASE("BPE round-trips unicode and unseen characters and a literal end-of-word marker", "[data][bpe]") {
  const Strings corpus = {"über die brücke", "über alles", "die brücke über", "ein hund läuft über die straße"};
  auto tok = learn_bpe(corpus, 50);
  const Strings inputs = {
      "über die brücke",
      "straße über straßen",
      "zebra 😀 ü ∑ naïve ŝ",             // characters never seen in training
      "x</w>y </w> a</w> <w> </w></w>",  // the marker's own text inside words
      "a",
  };
  for (const std::string& x : inputs) {
    const Strings pieces = tok->encode(x);
    CAPTURE(x, pieces);
    CHECK(tok->decode(pieces) == x);
    // Only the last piece of each word carries the marker.
    int64_t markers = 0;
    for (const std::string& p : pieces) markers += p.ends_with("</w>");
    CHECK(markers == static_cast<int64_t>(split_words(x).size()));
  }
  // Unseen characters stay single pieces; the UTF-8 bytes of one character are never split.
  CHECK(tok->encode("😀") == Strings{"😀</w>"});
  CHECK(tok->encode("∑ü") == Strings{"∑", "ü</w>"});
  // "über" was frequent, so it is one piece.
  CHECK(tok->encode("über") == Strings{"über</w>"});
}

TEST_CASE("a piece inside a word that would end in the marker text is spelled out", "[data][bpe]") {
  // These merges build the piece "</w>" itself; in "a</w>b" it would sit inside the word and
  // decode would end the word there. encode spells it out so that decode stays exact.
  BpeTokenizer tok(Merges{{"<", "/"}, {"</", "w"}, {"</w", ">"}});
  CHECK(tok.encode("a</w>b") == Strings{"a", "<", "/", "w", ">", "b</w>"});
  CHECK(tok.decode(tok.encode("a</w>b c")) == "a</w>b c");
  CHECK(tok.encode("x</w>") == Strings{"x", "</w", "></w>"});  // the final piece keeps one marker
  CHECK(tok.decode(tok.encode("x</w>")) == "x</w>");
}

TEST_CASE("BPE serialization round-trips and the cache does not change results", "[data][bpe]") {
  auto tok = learn_bpe({"the cat sat on the mat", "the dog sat on the log", "cats and dogs"}, 30);
  const std::string text = tok->serialize();
  CHECK(text.starts_with("qkv-tokenizer bpe v1\nmerges "));
  auto again = deserialize_tokenizer(text);
  CHECK(again->name() == "bpe");
  CHECK(again->serialize() == text);
  for (const std::string line : {"the cat sat", "a catalogue of dogs", "mat log cat", "the cat sat"})
    CHECK(again->encode(line) == tok->encode(line));
  const auto* bpe = dynamic_cast<const BpeTokenizer*>(again.get());
  REQUIRE(bpe != nullptr);
  CHECK(bpe->merges() == dynamic_cast<const BpeTokenizer*>(tok.get())->merges());
}

TEST_CASE("corrupt tokenizer texts are rejected with a reason", "[data][bpe]") {
  CHECK_THROWS_WITH(deserialize_tokenizer(""), Contains("not a serialized qkv tokenizer"));
  CHECK_THROWS_WITH(deserialize_tokenizer("hello\n"), Contains("not a serialized qkv tokenizer"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer whitespace v1\nextra\n"), Contains("unexpected text"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v2\nmerges 0\n"), Contains("first line"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\n"), Contains("merges N"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges x\n"), Contains("not a merge count"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 2\na b\n"),
                    Contains("says 2 merges but 1 lines follow"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\nab\n"),
                    Contains("line 3") && Contains("two pieces"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\na  b\n"), Contains("two pieces"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\na b c\n"), Contains("two pieces"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\na</w> b\n"), Contains("ends a word"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\nab c\n"),
                    Contains("left piece is neither one character nor made by an earlier merge"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\na bc\n"), Contains("right piece"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 2\na b\na b\n"), Contains("repeats"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 1\n\xC3 b\n"), Contains("not valid UTF-8"));
  // Valid: pieces made by earlier merges, and right pieces with the marker.
  CHECK_NOTHROW(deserialize_tokenizer("qkv-tokenizer bpe v1\nmerges 3\na b\nab c</w>\nü abc</w>\n"));
}
