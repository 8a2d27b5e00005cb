// raw_bpe_test.cpp — qkv's lossless raw-text subwords (data/raw_bpe.h): exact round trips on
// every line of every bundled corpus file, byte fallback for characters never seen, whitespace
// kept as it is, reserved pieces never learned, serialization, corrupt texts, the vocabulary size.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "data/byte_pieces.h"
#include "data/corpus.h"
#include "data/raw_bpe.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;

namespace {

std::string multi30k(const std::string& name) {
  const auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "data" / "multi30k" / name).string();
}

const Strings kCorpusFiles = {
    "train.en",     "train.de",     "val.en",     "val.de",     "test_2016_flickr.en",     "test_2016_flickr.de",
    "raw/train.en", "raw/train.de", "raw/val.en", "raw/val.de", "raw/test_2016_flickr.en", "raw/test_2016_flickr.de"};

// Learned once: raw English + German training lines, the default size.
const RawBpeTokenizer& raw_model() {
  static const std::unique_ptr<RawBpeTokenizer> model = [] {
    Strings lines = read_lines(multi30k("raw/train.en"));
    const Strings de = read_lines(multi30k("raw/train.de"));
    lines.insert(lines.end(), de.begin(), de.end());
    return learn_raw_bpe(lines, {.vocab_size = 8000, .min_char_count = 2});
  }();
  return *model;
}

// Lines no corpus has: unseen scripts, emoji, combining marks, whitespace of every kind.
const Strings kOddLines = {
    "",
    " ",
    "   ",
    "  leading and trailing  ",
    "tabs\tinside\t\tand\tspaces  \t mixed",
    "emoji 😀👩‍👩‍👧 and CJK 日本語の文 and 한국어",
    "combining: e\u0301 a\u0308 n\u0303, Zalgo: Z\u0336\u0327a\u0335l\u0334",
    "a literal \u2581 and \u2581\u2581 beside spaces",
    "byte look-alikes <0x41> <unk> <pad> <eos> <bos> </w>",
    "\u00A0no-break\u2003em space\u200Bzero width\u3000ideographic",
    "\r\v\f control \x01\x7F",
};

}  // namespace

TEST_CASE("rawbpe round-trips every line of every bundled corpus file exactly", "[data][rawbpe]") {
  const RawBpeTokenizer& tok = raw_model();
  for (const std::string& file : kCorpusFiles) {
    const Strings lines = read_lines(multi30k(file));
    size_t mismatches = 0, first_bad = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (tok.decode(tok.encode(lines[i])) != lines[i] && mismatches++ == 0) first_bad = i + 1;
    }
    INFO(file << ": first mismatch on line " << first_bad);
    CHECK(mismatches == 0);
  }
}

TEST_CASE("rawbpe round-trips unseen characters and whitespace exactly, spelling them in bytes", "[data][rawbpe]") {
  const RawBpeTokenizer& tok = raw_model();
  for (const std::string& line : kOddLines) {
    INFO(line);
    const Strings pieces = tok.encode(line);
    CHECK(tok.decode(pieces) == line);
    for (const std::string& piece : pieces) CHECK(piece.find(' ') == std::string::npos);
  }
  // Never seen in Multi30k: byte pieces, the exact UTF-8 bytes, not <unk>.
  CHECK(tok.encode("😀") == Strings{"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"});
  CHECK(tok.encode("日") == Strings{"<0xE6>", "<0x97>", "<0xA5>"});
  // A literal ▁ is bytes, never the space symbol; a space is "▁" glued to the next word.
  CHECK(tok.encode("\u2581") == Strings{"<0xE2>", "<0x96>", "<0x81>"});
  const Strings two_words = tok.encode("a dog");
  CHECK(two_words == Strings{"a", "\u2581dog"});
  // Runs of spaces: every space after the first starts a word of its own.
  CHECK(tok.encode("a  dog") == Strings{"a", "\u2581", "\u2581dog"});
}

TEST_CASE("rawbpe's vocabulary holds every piece it can produce, so nothing becomes <unk>", "[data][rawbpe]") {
  const RawBpeTokenizer& tok = raw_model();
  const Strings inventory = tok.inventory();
  CHECK(static_cast<int64_t>(inventory.size()) + 4 <= 8000);
  CHECK(static_cast<int64_t>(inventory.size()) + 4 >= 7900);  // duplicates of one piece are rare
  const std::unordered_set<std::string> known(inventory.begin(), inventory.end());
  for (const std::string& byte : all_byte_pieces()) CHECK(known.contains(byte));
  for (const std::string& line : kOddLines)
    for (const std::string& piece : tok.encode(line)) CHECK(known.contains(piece));
  for (const auto& [left, right] : tok.merges()) CHECK_FALSE(is_reserved_piece(left + right));
}

TEST_CASE("rawbpe never learns a piece spelled like a special or a byte piece", "[data][rawbpe]") {
  // "<unk>" and "<0x41>" are the most frequent words: a plain BPE would make them pieces.
  Strings lines;
  for (int i = 0; i < 50; ++i) lines.push_back("<unk> <0x41> <eos> x");
  const auto tok = learn_raw_bpe(lines, {.vocab_size = 400, .min_char_count = 1});
  CHECK_FALSE(tok->merges().empty());
  for (const auto& [left, right] : tok->merges()) CHECK_FALSE(is_reserved_piece(left + right));
  const Strings pieces = tok->encode("<unk> <0x41>");
  for (const std::string& piece : pieces) CHECK_FALSE(is_reserved_piece(piece));
  CHECK(tok->decode(pieces) == "<unk> <0x41>");
}

TEST_CASE("rawbpe: characters rarer than min_char_count are spelled in bytes", "[data][rawbpe]") {
  const auto tok = learn_raw_bpe({"aaé", "aa", "aa"}, {.vocab_size = 300, .min_char_count = 2});
  CHECK(tok->alphabet() == Strings{"a"});
  CHECK(tok->encode("é") == Strings{"<0xC3>", "<0xA9>"});
  CHECK(tok->decode(tok->encode("aaé aa")) == "aaé aa");
  // No spaces in training: a space is a byte piece too, and still round-trips.
  CHECK(tok->encode(" ") == Strings{"<0x20>"});
}

TEST_CASE("rawbpe decodes byte pieces that are not UTF-8 to U+FFFD", "[data][rawbpe]") {
  const RawBpeTokenizer& tok = raw_model();
  CHECK(tok.decode({"a", "<0xE2>", "<0x96>", "\u2581b"}) == "a\uFFFD\uFFFD b");
  CHECK(tok.decode({"<0xC3>", "<0xA9>"}) == "é");
}

TEST_CASE("rawbpe: the vocabulary size must leave room for merges", "[data][rawbpe]") {
  CHECK_THROWS_WITH(learn_raw_bpe({"abc abc"}, {.vocab_size = 263, .min_char_count = 1}),
                    Contains("a vocabulary of 263 leaves no room for merges") && Contains("ask for more than 264"));
  CHECK_THROWS_WITH(learn_raw_bpe({"ok", "\xFF"}, {}), Contains("line 2 is not valid UTF-8"));
}

TEST_CASE("rawbpe serialization round-trips to an identical tokenizer", "[data][rawbpe]") {
  const RawBpeTokenizer& tok = raw_model();
  const std::string text = tok.serialize();
  const auto again = deserialize_tokenizer(text);
  CHECK(again->name() == "rawbpe");
  CHECK(again->serialize() == text);
  CHECK(again->inventory() == tok.inventory());
  for (const std::string file : {"raw/val.de", "val.en"})
    for (const std::string& line : read_lines(multi30k(file))) REQUIRE(again->encode(line) == tok.encode(line));
}

TEST_CASE("corrupt rawbpe texts are rejected with a reason", "[data][rawbpe]") {
  auto parse = [](const std::string& text) { return deserialize_raw_bpe(text); };
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v2\n"), Contains("first line"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet x\n"), Contains("not a count"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 3\na\nb\n"), Contains("ends before the 'merges N'"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 1\nab\nmerges 0\n"), Contains("not one valid UTF-8"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 2\na\na\nmerges 0\n"), Contains("repeats"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 1\n \nmerges 0\n"), Contains("a space or a newline"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 1\na\nmerges 2\na a\n"), Contains("2 merges but 1"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 1\na\nmerges 1\na b\n"),
                    Contains("neither an alphabet character"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 1\na\nmerges 2\na a\na a\n"),
                    Contains("repeats an earlier merge"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 4\n<\nu\nn\nk\nmerges 4\n< u\nn k\n<u nk\n<unk >\n"),
                    Contains("neither an alphabet character"));
  CHECK_THROWS_WITH(parse("qkv-tokenizer rawbpe v1\nalphabet 5\n<\nu\nn\nk\n>\nmerges 4\n< u\nn k\n<u nk\n<unk >\n"),
                    Contains("makes the reserved piece '<unk>'"));
}
