// vocab_test.cpp — Vocab: specials, frequency order with ties, min_freq and max_size, lookups,
// decode's eos/pad/bos rules, and (de)serialization with its corrupt-text errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/vocab.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Strings = std::vector<std::string>;
using Ids = std::vector<int64_t>;

namespace {

// Counts: a 3, b 3, c 2, d 1, "<unk>" 1 (folded into the special).
const std::vector<Strings> kSentences = {{"b", "a", "c"}, {"a", "b", "d"}, {"c", "a", "b", "<unk>"}};

Strings tokens_of(const Vocab& v) {
  Strings out;
  for (int64_t i = 0; i < v.size(); ++i) out.push_back(v.token(i));
  return out;
}

}  // namespace

TEST_CASE("Vocab::build puts specials first then frequency desc with ties in byte order", "[data][vocab]") {
  const Vocab v = Vocab::build(kSentences, 1);
  CHECK(tokens_of(v) == Strings{"<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"});
  CHECK(v.id("<pad>") == Vocab::kPad);
  CHECK(v.id("<unk>") == Vocab::kUnk);
  CHECK(v.id("<bos>") == Vocab::kBos);
  CHECK(v.id("<eos>") == Vocab::kEos);
  CHECK(v.id("a") == 4);
  CHECK(v.id("zzz") == Vocab::kUnk);
}

TEST_CASE("Vocab::build applies min_freq and max_size (which counts the specials)", "[data][vocab]") {
  CHECK(tokens_of(Vocab::build(kSentences, 2)) == Strings{"<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c"});
  CHECK(tokens_of(Vocab::build(kSentences, 3)) == Strings{"<pad>", "<unk>", "<bos>", "<eos>", "a", "b"});
  CHECK(tokens_of(Vocab::build(kSentences, 1, 5)) == Strings{"<pad>", "<unk>", "<bos>", "<eos>", "a"});
  CHECK(Vocab::build(kSentences, 1, 4).size() == 4);
  CHECK(Vocab::build(kSentences, 1, 100).size() == 8);
  CHECK(Vocab::build({}, 1).size() == 4);
  CHECK(tokens_of(Vocab()) == Strings{"<pad>", "<unk>", "<bos>", "<eos>"});
  CHECK_THROWS_WITH(Vocab::build(kSentences, 0), Contains("min_freq"));
  CHECK_THROWS_WITH(Vocab::build(kSentences, 1, 3), Contains("max_size") && Contains("got 3"));
  CHECK_THROWS_WITH(Vocab::build({{"ok", ""}}, 1), Contains("empty piece"));
  CHECK_THROWS_WITH(Vocab::build({{"two\nlines"}}, 1), Contains("newline"));
}

TEST_CASE("Vocab encode maps unknown pieces to unk and decode stops at eos and drops pad and bos", "[data][vocab]") {
  const Vocab v = Vocab::build(kSentences, 1);
  CHECK(v.encode({"a", "zebra", "d", "<eos>"}) == Ids{4, Vocab::kUnk, 7, Vocab::kEos});
  CHECK(v.decode({Vocab::kBos, 4, Vocab::kPad, 5, Vocab::kUnk, Vocab::kEos, 6, 7}) == Strings{"a", "b", "<unk>"});
  CHECK(v.decode({}).empty());
  CHECK(v.decode({Vocab::kEos, 4}).empty());
  CHECK_THROWS_WITH(v.token(8), Contains("id 8") && Contains("size 8"));
  CHECK_THROWS_WITH(v.token(-1), Contains("id -1"));
  CHECK_THROWS_WITH(v.decode({4, 99}), Contains("id 99"));
}

TEST_CASE("Vocab serializes one token per line and deserializes to the same ids", "[data][vocab]") {
  const Vocab v = Vocab::build({{"über", "straße", "über", "😀"}}, 1);
  const std::string text = v.serialize();
  // über ×2 first; straße and 😀 ×1 tie and go in byte order ('s' 0x73 < 0xF0).
  CHECK(text == "<pad>\n<unk>\n<bos>\n<eos>\nüber\nstraße\n😀\n");
  const Vocab w = Vocab::deserialize(text);
  CHECK(tokens_of(w) == tokens_of(v));
  CHECK(w.id("straße") == v.id("straße"));
}

TEST_CASE("Vocab::deserialize rejects missing specials and duplicates and truncated text", "[data][vocab]") {
  CHECK_THROWS_WITH(Vocab::deserialize(""), Contains("specials"));
  CHECK_THROWS_WITH(Vocab::deserialize("<pad>\n<unk>\n<bos>\n"), Contains("specials"));
  CHECK_THROWS_WITH(Vocab::deserialize("<pad>\n<bos>\n<unk>\n<eos>\n"), Contains("id 1 must be the special '<unk>'"));
  CHECK_THROWS_WITH(Vocab::deserialize("<pad>\n<unk>\n<bos>\n<eos>\na\nb\na\n"),
                    Contains("'a' appears twice") && Contains("ids 4 and 6"));
  CHECK_THROWS_WITH(Vocab::deserialize("<pad>\n<unk>\n<bos>\n<eos>\n\nb\n"), Contains("token 4 is empty"));
  CHECK_THROWS_WITH(Vocab::deserialize("<pad>\n<unk>\n<bos>\n<eos>\na"), Contains("does not end with a newline"));
  CHECK(Vocab::deserialize("<pad>\n<unk>\n<bos>\n<eos>\na\n").size() == 5);
}
