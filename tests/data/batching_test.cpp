// batching_test.cpp — padding and masks on a hand-made batch, and the epoch plan: every
// example once, the token budget, max_sentences, max_length, the over-long example, and
// determinism in (seed, epoch), which resuming a run relies on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "data/batching.h"
#include "tensor/factories.h"
#include "tensor/random.h"

using namespace qkv;
using namespace qkv::data;
using Catch::Contains;
using Ids = std::vector<int64_t>;
using Plan = std::vector<std::vector<int64_t>>;

namespace {

std::vector<bool> bools(const Tensor& t) {
  const bool* p = t.data<bool>();
  return std::vector<bool>(p, p + t.numel());
}

// n examples with source and target lengths drawn uniformly from 0..max_len.
std::vector<Example> random_examples(int64_t n, int64_t max_len, uint64_t seed) {
  Generator gen(seed);
  std::vector<Example> ex(n);
  for (auto& e : ex) {
    e.source.assign(gen.below(max_len + 1), 7);
    e.target.assign(gen.below(max_len + 1), 8);
  }
  return ex;
}

// Every kept index exactly once across the plan.
std::vector<int64_t> sorted_indices(const Plan& plan) {
  std::vector<int64_t> all;
  for (const auto& b : plan) all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  return all;
}

int64_t batch_width(const std::vector<Example>& ex, const std::vector<int64_t>& batch) {
  int64_t w = 0;
  for (int64_t i : batch) w = std::max(w, padded_length(ex[i]));
  return w;
}

}  // namespace

TEST_CASE("make_batch pads a hand-made batch with eos and bos and pad and sets the padding mask", "[data][batching]") {
  // e0: source 5 6 7, target 8.   e1: source 9 4, target 10 11 12.   Batch order: e1, e0.
  const std::vector<Example> ex = {{{5, 6, 7}, {8}}, {{9, 4}, {10, 11, 12}}};
  const Batch b = make_batch(ex, {1, 0});
  // S = 3 + 1 (eos) = 4, T = 3 + 1 = 4.
  REQUIRE(b.source.shape() == Shape{2, 4});
  REQUIRE(b.target_in.shape() == Shape{2, 4});
  REQUIRE(b.target_out.shape() == Shape{2, 4});
  REQUIRE(b.source_padding.shape() == Shape{2, 4});
  CHECK(b.source.dtype() == Dtype::int64);
  CHECK(b.source_padding.dtype() == Dtype::bool_);
  const int64_t P = Vocab::kPad, E = Vocab::kEos, S = Vocab::kBos;
  CHECK(to_vector<int64_t>(b.source) == Ids{9, 4, E, P, /**/ 5, 6, 7, E});
  CHECK(bools(b.source_padding) == std::vector<bool>{false, false, false, true, /**/ false, false, false, false});
  CHECK(to_vector<int64_t>(b.target_in) == Ids{S, 10, 11, 12, /**/ S, 8, P, P});
  CHECK(to_vector<int64_t>(b.target_out) == Ids{10, 11, 12, E, /**/ 8, E, P, P});
  CHECK(b.indices == Ids{1, 0});
  CHECK(b.source_tokens == 3 + 4);  // ids + eos per row
  CHECK(b.target_tokens == 4 + 2);
}

TEST_CASE("make_batch handles empty sentences and rejects bad indices", "[data][batching]") {
  const std::vector<Example> ex = {{{}, {}}, {{5}, {6}}};
  const Batch b = make_batch(ex, {0});
  CHECK(to_vector<int64_t>(b.source) == Ids{Vocab::kEos});
  CHECK(to_vector<int64_t>(b.target_in) == Ids{Vocab::kBos});
  CHECK(to_vector<int64_t>(b.target_out) == Ids{Vocab::kEos});
  CHECK_THROWS_WITH(make_batch(ex, {}), Contains("no examples"));
  CHECK_THROWS_WITH(make_batch(ex, {0, 2}), Contains("index 2") && Contains("2 examples"));
  CHECK_THROWS_WITH(make_batch(ex, {-1}), Contains("index -1"));
}

TEST_CASE("encode_corpus tokenizes and maps both sides to ids", "[data][batching]") {
  ParallelCorpus c;
  c.source = {"a b", "b zebra"};
  c.target = {"x", "y x"};
  auto tok = make_whitespace_tokenizer();
  const Vocab sv = Vocab::build({{"a", "b", "b"}}, 1);  // b 4, a 5
  const Vocab tv = Vocab::build({{"x", "y", "x"}}, 1);  // x 4, y 5
  const auto ex = encode_corpus(c, *tok, *tok, sv, tv);
  REQUIRE(ex.size() == 2);
  CHECK(ex[0].source == Ids{5, 4});
  CHECK(ex[1].source == Ids{4, Vocab::kUnk});
  CHECK(ex[1].target == Ids{5, 4});
}

TEST_CASE("plan_epoch uses every example once and respects the token budget", "[data][batching]") {
  const auto ex = random_examples(600, 40, 3);
  BatchOptions opt;
  opt.max_tokens = 200;
  const Plan plan = plan_epoch(ex, opt, 0);
  std::vector<int64_t> expected(ex.size());
  for (size_t i = 0; i < ex.size(); ++i) expected[i] = static_cast<int64_t>(i);
  CHECK(sorted_indices(plan) == expected);
  int64_t tokens = 0, padded = 0;
  for (const auto& b : plan) {
    REQUIRE(!b.empty());
    CHECK(static_cast<int64_t>(b.size()) * batch_width(ex, b) <= opt.max_tokens);
    padded += static_cast<int64_t>(b.size()) * batch_width(ex, b);
    for (int64_t i : b) tokens += padded_length(ex[i]);
  }
  // Bucketing by length keeps padding low (random batches of these lengths pad ~2x).
  CHECK(padded < tokens * 13 / 10);
  // And the batches are reasonably full.
  CHECK(static_cast<double>(padded) / (plan.size() * opt.max_tokens) > 0.8);
}

TEST_CASE("plan_epoch is deterministic in seed and epoch and varies with each", "[data][batching]") {
  const auto ex = random_examples(300, 30, 5);
  BatchOptions opt;
  opt.max_tokens = 150;
  opt.seed = 42;
  const Plan a = plan_epoch(ex, opt, 7);
  CHECK(plan_epoch(ex, opt, 7) == a);  // a resumed run recomputes exactly this plan
  CHECK(plan_epoch(ex, opt, 8) != a);
  opt.seed = 43;
  CHECK(plan_epoch(ex, opt, 7) != a);
  // Shuffling changes the batch order, not the coverage.
  CHECK(sorted_indices(plan_epoch(ex, opt, 8)) == sorted_indices(a));
}

TEST_CASE("plan_epoch gives the same plan on every machine (a recorded plan)", "[data][batching]") {
  // Lengths (source, target): 0:(1,2) 1:(3,3) 2:(1,2) 3:(2,2) 4:(5,1) 5:(3,3) 6:(1,2) 7:(2,1)
  // max_tokens 9: widths are max(s, t) + 1. Sorted by (target, source, random key), cut while
  // B * width <= 9. Any change to the Generator, the seed mixing or the sort breaks this, and
  // with it the resumption of runs started before the change.
  const std::vector<Example> ex = {{{1}, {1, 1}},          {{1, 1, 1}, {1, 1, 1}}, {{1}, {1, 1}}, {{1, 1}, {1, 1}},
                                   {{1, 1, 1, 1, 1}, {1}}, {{1, 1, 1}, {1, 1, 1}}, {{1}, {1, 1}}, {{1, 1}, {1}}};
  BatchOptions opt;
  opt.max_tokens = 9;
  opt.seed = 1;
  const Plan plan = plan_epoch(ex, opt, 0);
  CAPTURE(plan);
  // Worked by hand: sorted by (target, source) the order is 7 4 | {0 2 6} 3 | {1 5}, the
  // braces holding ties that the random keys order. Widths: 7:3 4:6 0,2,6,3:3 1,5:4. Cutting:
  // [7] (adding 4 would need 2 * 6 > 9), [4] (then 2 * 6 > 9), [three of width 3] (3 * 3 = 9),
  // [3, 1] (2 * 4 = 8), [5] (3 * 4 > 9). The random keys pick the orders inside the braces and
  // the shuffle the order of the batches; those are what this recorded plan pins down.
  CHECK(sorted_indices(plan) == Ids{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(plan == Plan{{5}, {3, 1}, {4}, {0, 6, 2}, {7}});
}

TEST_CASE("plan_epoch caps sentences per batch and drops examples over max_length", "[data][batching]") {
  const auto ex = random_examples(200, 20, 9);
  BatchOptions opt;
  opt.max_tokens = 100000;
  opt.max_sentences = 16;
  Plan plan = plan_epoch(ex, opt, 1);
  for (const auto& b : plan) CHECK(b.size() <= 16);
  CHECK(plan.size() == (200 + 15) / 16);  // the budget is huge, so only the cap cuts

  opt.max_sentences = 0;
  opt.max_length = 12;
  plan = plan_epoch(ex, opt, 1);
  std::vector<int64_t> kept;
  for (size_t i = 0; i < ex.size(); ++i)
    if (ex[i].source.size() <= 12 && ex[i].target.size() <= 12) kept.push_back(static_cast<int64_t>(i));
  REQUIRE(kept.size() < ex.size());  // the test drops something
  CHECK(sorted_indices(plan) == kept);
}

TEST_CASE("an example longer than the whole budget gets a batch of its own", "[data][batching]") {
  std::vector<Example> ex = random_examples(50, 10, 11);
  ex.push_back({Ids(300, 5), Ids(20, 6)});  // width 301 > max_tokens
  BatchOptions opt;
  opt.max_tokens = 64;
  const Plan plan = plan_epoch(ex, opt, 0);
  int found = 0;
  for (const auto& b : plan) {
    if (std::find(b.begin(), b.end(), 50) != b.end()) {
      CHECK(b == Ids{50});
      ++found;
    } else {
      CHECK(static_cast<int64_t>(b.size()) * batch_width(ex, b) <= opt.max_tokens);
    }
  }
  CHECK(found == 1);
  CHECK(sorted_indices(plan).size() == ex.size());
}

TEST_CASE("without shuffle the plan is sorted by length shortest first and ignores the seed", "[data][batching]") {
  const auto ex = random_examples(120, 25, 13);
  BatchOptions opt;
  opt.max_tokens = 120;
  opt.shuffle = false;
  const Plan plan = plan_epoch(ex, opt, 0);
  opt.seed = 99;
  CHECK(plan_epoch(ex, opt, 5) == plan);
  std::vector<std::pair<size_t, size_t>> order;
  for (const auto& b : plan)
    for (int64_t i : b) order.emplace_back(ex[i].target.size(), ex[i].source.size());
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("plan_epoch rejects nonsense options", "[data][batching]") {
  const auto ex = random_examples(5, 5, 1);
  BatchOptions opt;
  opt.max_tokens = 0;
  CHECK_THROWS_WITH(plan_epoch(ex, opt, 0), Contains("max_tokens"));
  opt.max_tokens = 10;
  opt.max_sentences = -1;
  CHECK_THROWS_WITH(plan_epoch(ex, opt, 0), Contains("max_sentences"));
  opt.max_sentences = 0;
  CHECK_THROWS_WITH(plan_epoch(ex, opt, -1), Contains("epoch"));
  CHECK(plan_epoch(std::vector<Example>{}, opt, 0).empty());
}
