// distributed_test.cpp — the single-process pieces of data-parallel training (the MPI ones run
// under mpirun: tests/mpi/): backward's leaf-done hook, a rank's share of a batch, one process's
// RankCorpus, the gradient buckets' layout, and dropout streams per (seed, step, rank).
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "autograd/engine.h"
#include "autograd/node.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "nn/layers.h"
#include "tensor/factories.h"
#include "train/codec_factory.h"
#include "train/distributed.h"
#include "train/gradient_buckets.h"
#include "train/rank_corpus.h"
#include "train/rank_streams.h"
#include "train/shard.h"

using namespace qkv;
using namespace qkv::train;

TEST_CASE("backward calls the leaf-done hook once per leaf, when its gradient is final", "[train][distributed]") {
  Tensor a = full(Shape{3}, 2.0f), b = full(Shape{3}, 5.0f);
  a.requires_grad_();
  b.requires_grad_();
  // a is used on two paths, one of them long: its gradient is final only after both.
  const Tensor loss = sum(a * b) + sum(((a + 1.0) * 3.0) * 2.0);
  std::vector<std::pair<const AutogradMeta*, float>> seen;
  {
    const LeafDoneHook hook([&](const AutogradMeta& leaf) { seen.emplace_back(&leaf, leaf.grad.data<float>()[0]); });
    loss.backward();
  }
  REQUIRE(seen.size() == 2);
  for (const auto& [leaf, first] : seen) {
    if (leaf == a.autograd_meta().get()) CHECK(first == 5.0f + 6.0f);  // b + 3·2: both paths delivered
    if (leaf == b.autograd_meta().get()) CHECK(first == 2.0f);
  }
  // Without a hook nothing is called (and a hook's scope ended restores "none").
  seen.clear();
  a.zero_grad();
  (sum(a) * 2.0).backward();
  CHECK(seen.empty());
}

TEST_CASE("shard_of splits a global batch among ranks, every example once, tokens of the whole batch",
          "[train][distributed]") {
  data::EncodedCorpus corpus(100, 100);
  data::PairLengths lengths;
  for (int64_t n = 1; n <= 7; ++n) {
    const std::vector<int64_t> source(static_cast<size_t>(n), 5), target(static_cast<size_t>(n + 1), 6);
    corpus.add(source, target);
    lengths.push_back(n, n + 1);
  }
  const std::vector<int64_t> batch{6, 0, 3, 2, 5, 1, 4};
  const data::Batch whole = data::make_batch(corpus, batch);
  for (int size : {1, 2, 3, 7, 9}) {
    std::vector<int64_t> all;
    int64_t target_tokens = 0;
    for (int rank = 0; rank < size; ++rank) {
      const Shard s = shard_of(lengths, batch, rank, size);
      CHECK(s.global_target_tokens == whole.target_tokens);
      CHECK(s.global_source_tokens == whole.source_tokens);
      CHECK(s.indices.empty() == (rank >= static_cast<int>(batch.size())));
      if (s.indices.empty()) continue;
      all.insert(all.end(), s.indices.begin(), s.indices.end());
      target_tokens += data::make_batch(corpus, s.indices).target_tokens;
    }
    CHECK(target_tokens == whole.target_tokens);
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
  }
  CHECK(shard_of(lengths, batch, 1, 2).indices == std::vector<int64_t>{0, 2, 1});
  CHECK_THROWS_WITH(shard_of(lengths, batch, 2, 2), Catch::Contains("rank 2 of 2 ranks"));
  CHECK_THROWS_WITH(shard_of(lengths, {7}, 0, 1), Catch::Contains("example 7 is out of range for 7"));
}

TEST_CASE("one process's RankCorpus owns every pair: the lengths and batches of the encoded corpus",
          "[train][distributed]") {
  data::ParallelCorpus text;
  text.source = {"a b c", "d", "a a d e", "b"};
  text.target = {"x y", "y y y", "z", "x x"};
  train::TrainOptions o;
  o.min_freq = 1;
  const train::TextCodecs codecs = train::learn_codecs(o, text);
  const data::PairsInMemory pairs(text);
  const RankCorpus rank_corpus(pairs, *codecs.source, *codecs.target, distributed());
  const data::EncodedCorpus encoded = data::encode_compact(
      pairs, codecs.source->tokenizer(), codecs.target->tokenizer(), codecs.source->vocab(), codecs.target->vocab());
  REQUIRE(rank_corpus.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(rank_corpus.lengths().source_length(i) == encoded.source_length(i));
    CHECK(rank_corpus.lengths().target_length(i) == encoded.target_length(i));
  }
  const std::vector<int64_t> indices{2, 0, 3};
  const std::optional<data::Batch> fetched = rank_corpus.fetch_batch(indices);
  const data::Batch direct = data::make_batch(encoded, indices);
  REQUIRE(fetched.has_value());
  CHECK(fetched->indices == indices);
  CHECK(to_vector<int64_t>(fetched->source) == to_vector<int64_t>(direct.source));
  CHECK(to_vector<int64_t>(fetched->target_in) == to_vector<int64_t>(direct.target_in));
  CHECK(to_vector<int64_t>(fetched->target_out) == to_vector<int64_t>(direct.target_out));
  CHECK(fetched->target_tokens == direct.target_tokens);
  CHECK_FALSE(rank_corpus.fetch_batch({}).has_value());
  CHECK_THROWS_WITH(rank_corpus.fetch_batch({4}), Catch::Contains("pair 4 is out of range for 4 pairs"));
}

TEST_CASE("gradient buckets hold parameters in reverse order, about bucket_bytes each, one dtype each",
          "[train][distributed]") {
  std::vector<Tensor> params;
  for (auto [n, dtype] : {std::pair{100, Dtype::float32},
                          {300, Dtype::float32},
                          {10, Dtype::float64},
                          {50, Dtype::float32},
                          {1, Dtype::float32}}) {
    params.push_back(zeros(Shape{n}, dtype).requires_grad_());
  }
  using Layout = std::vector<std::vector<size_t>>;
  CHECK(GradientBuckets(params, distributed(), 0).buckets() == Layout{{4, 3}, {2}, {1, 0}});
  CHECK(GradientBuckets(params, distributed(), 1).buckets() == Layout{{4}, {3}, {2}, {1}, {0}});
  CHECK(GradientBuckets(params, distributed(), 400).buckets() == Layout{{4, 3}, {2}, {1}, {0}});
}

TEST_CASE("on one process the gradient buckets leave every gradient as backward made it", "[train][distributed]") {
  Tensor w = full(Shape{4}, 3.0f), unused = full(Shape{2}, 1.0f);
  w.requires_grad_();
  unused.requires_grad_();
  GradientBuckets buckets({w, unused}, distributed(), 8);
  {
    const LeafDoneHook hook = buckets.watch_backward();
    (sum(w * w)).backward();
  }
  buckets.finish();
  CHECK(to_vector<float>(w.grad()) == std::vector<float>{6, 6, 6, 6});
  CHECK_FALSE(unused.grad().defined());  // no rank produced one: none, as without buckets
}

TEST_CASE("dropout streams depend on (seed, step, rank) and nothing else", "[train][distributed]") {
  auto draws = [](uint64_t seed, int64_t step, int rank) {
    Dropout dropout(0.5);
    reseed_generators_for_step(dropout, seed, step, rank);
    return to_vector<float>(dropout.forward(full(Shape{64}, 1.0f)));
  };
  CHECK(draws(1, 5, 0) == draws(1, 5, 0));
  CHECK(draws(1, 5, 0) != draws(1, 5, 1));
  CHECK(draws(1, 5, 0) != draws(1, 6, 0));
  CHECK(draws(1, 5, 0) != draws(2, 5, 0));
}
