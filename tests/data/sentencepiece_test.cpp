// sentencepiece_test.cpp — SentencePiece interop (data/sentencepiece_tokenizer.h): a model made
// by the spm_train command line gives exactly spm_encode's pieces in qkv; a model qkv learns
// round-trips every bundled corpus line and unseen characters (byte fallback), with the one
// documented difference (a literal U+2581 comes back as a space); the model travels in the
// serialized text. Without SentencePiece in the build, each entry point says qkv lacks it.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "data/sentencepiece_tokenizer.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

std::string multi30k(const std::string& name) {
  const auto root = fs::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "data" / "multi30k" / name).string();
}

const Tokenizer& learned_model() {
  static const std::unique_ptr<Tokenizer> model = [] {
    Strings lines = read_lines(multi30k("raw/train.en"));
    const Strings de = read_lines(multi30k("raw/train.de"));
    lines.insert(lines.end(), de.begin(), de.end());
    return learn_sentencepiece(lines, 8000);
  }();
  return *model;
}

}  // namespace

TEST_CASE("without SentencePiece in the build, its tokenizer is an error that says so", "[data][sentencepiece]") {
  if (sentencepiece_available()) {
    SUCCEED("qkv was built with SentencePiece; the other cases test it");
    return;
  }
  CHECK_THROWS_WITH(learn_sentencepiece({"a b"}, 100), Contains("built without SentencePiece"));
  CHECK_THROWS_WITH(load_sentencepiece("m.model"), Contains("built without SentencePiece"));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer sentencepiece v1\nAAAA\n"),
                    Contains("built without SentencePiece"));
}

TEST_CASE("a model made by spm_train gives exactly spm_encode's pieces in qkv", "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  test::TempDir dir;
  // spm_train's own defaults (nmt_nfkc, a dummy prefix, unigram), on the raw English lines.
  const std::string train = fmt::format("spm_train --input={} --model_prefix={} --vocab_size=1000 --minloglevel=2",
                                        multi30k("raw/train.en"), dir.file("m"));
  REQUIRE(std::system((train + " > " + (dir.file("train.log")) + " 2>&1").c_str()) == 0);
  const std::string input = dir.file("input.txt");
  Strings lines = read_lines(multi30k("raw/val.en"));
  const Strings de = read_lines(multi30k("raw/val.de"));
  lines.insert(lines.end(), de.begin(), de.begin() + 200);
  lines.push_back("emoji 😀 and 日本語");
  {
    std::ofstream out(input);
    for (const std::string& line : lines) out << line << "\n";
  }
  const std::string encode = fmt::format("spm_encode --model={} --output_format=piece < {} > {}", dir.file("m.model"),
                                         input, dir.file("pieces.txt"));
  REQUIRE(std::system(encode.c_str()) == 0);
  const auto tok = load_sentencepiece(dir.file("m.model"));
  CHECK(tok->name() == "sentencepiece");
  std::ifstream expected(dir.file("pieces.txt"));
  std::string expected_line;
  for (const std::string& line : lines) {
    REQUIRE(std::getline(expected, expected_line));
    std::istringstream words(expected_line);
    Strings pieces{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    INFO(line);
    REQUIRE(tok->encode(line) == pieces);
  }
}

TEST_CASE("a learned SentencePiece model round-trips every line of every bundled corpus file",
          "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  const Tokenizer& tok = learned_model();
  for (const std::string file :
       {"train.en", "train.de", "val.en", "val.de", "test_2016_flickr.en", "test_2016_flickr.de", "raw/train.en",
        "raw/train.de", "raw/val.en", "raw/val.de", "raw/test_2016_flickr.en", "raw/test_2016_flickr.de"}) {
    const Strings lines = read_lines(multi30k(file));
    size_t mismatches = 0, first_bad = 0;
    for (size_t i = 0; i < lines.size(); ++i)
      if (tok.decode(tok.encode(lines[i])) != lines[i] && mismatches++ == 0) first_bad = i + 1;
    INFO(file << ": first mismatch on line " << first_bad);
    CHECK(mismatches == 0);
  }
}

TEST_CASE("a learned SentencePiece model spells unseen characters in bytes and keeps whitespace",
          "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  const Tokenizer& tok = learned_model();
  for (const std::string line :
       {"", " ", "  leading and trailing  ", "tabs\tand\t\tspaces  \t mixed",
        "emoji 😀👩‍👩‍👧 and CJK 日本語 and 한국어", "combining e\u0301 a\u0308 Z\u0336\u0327",
        "<0x41> <unk> <pad> <eos>", "\u00A0no-break\u3000ideographic"}) {
    INFO(line);
    const Strings pieces = tok.encode(line);
    CHECK(tok.decode(pieces) == line);
    for (const std::string& piece : pieces) CHECK(piece != "<unk>");
  }
  CHECK(tok.encode("😀") == Strings{"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"});
  // The documented difference: SentencePiece reads a literal ▁ as its space symbol.
  CHECK(tok.decode(tok.encode("a\u2581b")) == "a b");
  // Its vocabulary: every piece but <unk> <s> </s>, the 256 byte pieces among them.
  CHECK(tok.inventory().size() == 8000 - 3);
}

TEST_CASE("a SentencePiece tokenizer serializes its model and reads back identical", "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  const Tokenizer& tok = learned_model();
  const std::string text = tok.serialize();
  CHECK(text.starts_with("qkv-tokenizer sentencepiece v1\n"));
  const auto again = deserialize_tokenizer(text);
  CHECK(again->name() == "sentencepiece");
  CHECK(again->serialize() == text);
  CHECK(again->inventory() == tok.inventory());
  for (const std::string& line : read_lines(multi30k("raw/val.de"))) REQUIRE(again->encode(line) == tok.encode(line));
  CHECK_THROWS_WITH(deserialize_tokenizer("qkv-tokenizer sentencepiece v1\nZm9v\n"), Contains("cannot load"));
  CHECK_THROWS_WITH(load_sentencepiece("/nonexistent/m.model"), Contains("/nonexistent/m.model"));
}

TEST_CASE("learning a SentencePiece model twice gives the same model, byte for byte", "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  const Strings lines = read_lines(multi30k("raw/val.de"));
  const std::string first = learn_sentencepiece(lines, 600)->serialize();
  CHECK(learn_sentencepiece(lines, 600)->serialize() == first);
  CHECK_THROWS_WITH(learn_sentencepiece(lines, 100), Contains("vocab_size 100") && Contains("the trainer failed"));
}

TEST_CASE("a learned SentencePiece BPE model is lossless too", "[data][sentencepiece]") {
  if (!sentencepiece_available()) return;
  const Strings lines = read_lines(multi30k("raw/val.de"));
  const auto unigram = learn_sentencepiece(lines, 600, SentencePieceType::unigram);
  const auto bpe = learn_sentencepiece(lines, 600, SentencePieceType::bpe);
  CHECK(bpe->serialize() != unigram->serialize());
  for (const std::string& line : lines) REQUIRE(bpe->decode(bpe->encode(line)) == line);
  for (const std::string line : {"  two  spaces\t", "emoji 😀 日本語"}) CHECK(bpe->decode(bpe->encode(line)) == line);
}
