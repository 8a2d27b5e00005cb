// encoded_corpus_test.cpp — the compact id store of a training corpus: the same ids, plans and
// batches as the vector form, narrow (uint16) and wide (uint32) ids, its size, and its errors.
#include <catch2/catch.hpp>

#include <vector>

#include "data/batching.h"
#include "data/encoded_corpus.h"
#include "tensor/factories.h"
#include "tensor/random.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;

namespace {

// n examples, lengths 0..max_len, ids below vocab.
std::vector<Example> random_examples(int64_t n, int64_t max_len, int64_t vocab, uint64_t seed) {
  Generator gen(seed);
  std::vector<Example> ex(static_cast<size_t>(n));
  for (auto& e : ex) {
    for (uint64_t k = gen.below(max_len + 1); k > 0; --k) e.source.push_back(static_cast<int64_t>(gen.below(vocab)));
    for (uint64_t k = gen.below(max_len + 1); k > 0; --k) e.target.push_back(static_cast<int64_t>(gen.below(vocab)));
  }
  return ex;
}

EncodedCorpus compact(const std::vector<Example>& ex, int64_t vocab) {
  EncodedCorpus c(vocab, vocab);
  for (const auto& e : ex) c.add(e.source, e.target);
  return c;
}

}  // namespace

TEST_CASE("EncodedCorpus gives back every example's ids, narrow and wide", "[data][encoded_corpus]") {
  for (const int64_t vocab : {int64_t{50}, int64_t{65536}, int64_t{200000}}) {
    const auto ex = random_examples(300, 12, vocab, 3);
    const EncodedCorpus c = compact(ex, vocab);
    REQUIRE(c.size() == ex.size());
    for (size_t i = 0; i < ex.size(); ++i) {
      CHECK(c.example(i).source == ex[i].source);
      CHECK(c.example(i).target == ex[i].target);
    }
  }
}

TEST_CASE("EncodedCorpus plans and batches exactly as the vector form does", "[data][encoded_corpus]") {
  const auto ex = random_examples(500, 20, 1000, 5);
  const EncodedCorpus c = compact(ex, 1000);
  const BatchOptions options{.max_tokens = 200, .max_length = 15, .seed = 9};
  for (int64_t epoch : {0, 1, 7}) {
    const auto plan = plan_epoch(ex, options, epoch);
    REQUIRE(plan_epoch(c, options, epoch) == plan);
    for (const auto& indices : plan) {
      const Batch a = make_batch(ex, indices), b = make_batch(c, indices);
      CHECK(to_vector<int64_t>(a.source) == to_vector<int64_t>(b.source));
      CHECK(to_vector<int64_t>(a.target_in) == to_vector<int64_t>(b.target_in));
      CHECK(to_vector<int64_t>(a.target_out) == to_vector<int64_t>(b.target_out));
      CHECK(a.source_tokens == b.source_tokens);
      CHECK(a.target_tokens == b.target_tokens);
    }
  }
}

TEST_CASE("EncodedCorpus stores a word vocabulary's ids in two bytes each plus an offset per sentence",
          "[data][encoded_corpus]") {
  const auto ex = random_examples(1000, 20, 30000, 7);
  size_t ids = 0;
  for (const auto& e : ex) ids += e.source.size() + e.target.size();
  const EncodedCorpus c = compact(ex, 30000);
  CHECK(c.bytes() == ids * 2 + 2 * (ex.size() + 1) * 8);
}

TEST_CASE("EncodedCorpus refuses ids outside the vocabulary, naming the side", "[data][encoded_corpus]") {
  EncodedCorpus c(10, 20);
  const std::vector<int64_t> ok{1, 2}, bad{3, 10};
  CHECK_THROWS_WITH(c.add(bad, ok), Contains("source id 10 is outside the vocabulary of 10"));
  CHECK_THROWS_WITH(c.add(ok, std::vector<int64_t>{-1}), Contains("target id -1"));
  CHECK_THROWS_WITH(EncodedCorpus(0, 5), Contains("source vocabulary size 0"));
}
