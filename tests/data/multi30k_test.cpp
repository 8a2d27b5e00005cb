// multi30k_test.cpp — the bundled Multi30k files read cleanly with the expected line counts,
// and the whole pipeline works on them: BPE learned on the training side round-trips the
// validation set, and an epoch plan covers every training pair within the token budget.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "data/batching.h"
#include "data/bpe.h"
#include "data/corpus.h"

using namespace qkv;
using namespace qkv::data;

namespace {

// data/multi30k in the source tree, found from this file's path.
std::string multi30k(const std::string& name) {
  const auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "data" / "multi30k" / name).string();
}

}  // namespace

TEST_CASE("the bundled Multi30k splits read cleanly with their documented line counts", "[data][multi30k]") {
  const ParallelCorpus train = read_parallel(multi30k("train.en"), multi30k("train.de"));
  const ParallelCorpus val = read_parallel(multi30k("val.en"), multi30k("val.de"));
  const ParallelCorpus test = read_parallel(multi30k("test_2016_flickr.en"), multi30k("test_2016_flickr.de"));
  CHECK(train.size() == 29000);
  CHECK(val.size() == 1014);
  CHECK(test.size() == 1000);
  CHECK(train.source[0] == "two young , white males are outside near many bushes .");
  CHECK(train.target[0] == "zwei junge weiße männer sind im freien in der nähe vieler büsche .");
  CHECK(read_lines(multi30k("val.de")) == val.target);
}

TEST_CASE("BPE learned on Multi30k German round-trips the validation set", "[data][multi30k][bpe]") {
  const ParallelCorpus train = read_parallel(multi30k("train.en"), multi30k("train.de"));
  const ParallelCorpus val = read_parallel(multi30k("val.en"), multi30k("val.de"));
  auto tok = learn_bpe(train.target, 10000);  // about 0.5 s in Release
  const auto& merges = dynamic_cast<const BpeTokenizer&>(*tok).merges();
  CHECK(merges.size() == 10000);
  int64_t words = 0, pieces = 0;
  for (const std::string& line : val.target) {
    const auto p = tok->encode(line);
    words += static_cast<int64_t>(split_words(line).size());
    pieces += static_cast<int64_t>(p.size());
    REQUIRE(tok->decode(p) == line);
  }
  // With 10k merges almost every validation word is one piece.
  CHECK(pieces >= words);
  CHECK(pieces < words * 11 / 10);
  auto again = deserialize_tokenizer(tok->serialize());
  CHECK(again->encode(val.target[5]) == tok->encode(val.target[5]));
}

TEST_CASE("an epoch plan over Multi30k covers every pair within the budget", "[data][multi30k][batching]") {
  const ParallelCorpus train = read_parallel(multi30k("train.en"), multi30k("train.de"));
  auto tok = make_whitespace_tokenizer();
  std::vector<std::vector<std::string>> src, tgt;
  for (const auto& s : train.source) src.push_back(tok->encode(s));
  for (const auto& t : train.target) tgt.push_back(tok->encode(t));
  const Vocab sv = Vocab::build(src, 2), tv = Vocab::build(tgt, 2);
  const auto examples = encode_corpus(train, *tok, *tok, sv, tv);
  BatchOptions opt;
  opt.max_tokens = 4096;
  const auto plan = plan_epoch(examples, opt, 3);
  std::vector<int> seen(examples.size(), 0);
  for (const auto& b : plan) {
    int64_t width = 0;
    for (int64_t i : b) {
      ++seen[i];
      width = std::max(width, padded_length(examples[i]));
    }
    CHECK(static_cast<int64_t>(b.size()) * width <= opt.max_tokens);
  }
  CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<int64_t>(examples.size()));
  const Batch first = make_batch(examples, plan.front());
  CHECK(first.source.size(0) == static_cast<int64_t>(plan.front().size()));
}
