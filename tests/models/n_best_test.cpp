// n_best_test.cpp — translate_n_best: the n best hypotheses and their scores. Checked against a
// brute-force ranking of a whole search space, against scores recomputed by teacher forcing,
// against translate's own answer, and greedy's score against beam search's with beam 1.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops/reduce.h"
#include "models/decoding.h"
#include "tensor/views.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_config;

namespace {

constexpr int64_t kEos = 3;

Transformer random_model(uint64_t seed, int64_t vocab = 13) {
  TransformerConfig c = tiny_config(false);
  c.target_vocab = vocab;
  c.d_model = 16;
  Transformer model(c);
  Generator gen(seed);
  model.reset_parameters(gen);
  model.eval();
  return model;
}

// Sentence b of the batch on its own, without its padding: (1, length).
Tensor source_row(const Tensor& src, int64_t b, int64_t length) {
  return raw::contiguous(raw::narrow(raw::narrow(src, 0, b, 1), 1, 0, length));
}

// The length-penalised log P of `ids` by teacher forcing: Σ log P(ids[t] | prefix), plus
// log P(eos) when `ended` (the eos counts in the length).
double forced_score(Transformer& model, const Tensor& src, const std::vector<int64_t>& ids, bool ended, double alpha) {
  NoGradGuard no_grad;
  std::vector<int64_t> in = {2};
  in.insert(in.end(), ids.begin(), ids.end());
  const int64_t T = static_cast<int64_t>(in.size());
  const Tensor logits = model.forward(src, Tensor(), from_vector(in, {1, T}));  // (1, T, V)
  const std::vector<double> lp = to_vector<double>(log_softmax(logits, 2));
  const int64_t V = logits.size(2);
  double sum = 0;
  for (size_t t = 0; t < ids.size(); ++t) sum += lp[t * V + static_cast<size_t>(ids[t])];
  if (ended) sum += lp[ids.size() * V + kEos];
  const double length = static_cast<double>(ids.size()) + (ended ? 1 : 0);
  return sum / std::pow((5.0 + length) / 6.0, alpha);
}

}  // namespace

TEST_CASE("beam_search_n_best over a whole search space is its brute-force ranking", "[models]") {
  // Target vocab 6 (eos = 3), max_length 2: every hypothesis is [eos], [a, eos] or [a, b] with
  // a, b != eos, 31 in all. A beam of 36 finishes every one, so the n-best list must be the top
  // of the brute-force ranking, scores included.
  Generator gen(21);
  Transformer model = random_model(31, 6);
  auto batch = random_batch({4, 2}, 4, 1, 11, 6, gen);
  for (double alpha : {0.0, 0.6}) {
    const DecodeOptions opts{.beam_size = 36, .length_penalty = alpha, .max_length = 2};
    const auto n_best = beam_search_n_best(model, batch.src, batch.src_padding, opts, 10);
    for (int64_t b = 0; b < 2; ++b) {
      const Tensor src_b = source_row(batch.src, b, std::vector<int64_t>{4, 2}[b]);
      std::vector<std::pair<double, std::vector<int64_t>>> all;
      all.push_back({forced_score(model, src_b, {}, true, alpha), {}});
      for (int64_t a = 0; a < 6; ++a) {
        if (a == kEos) continue;
        all.push_back({forced_score(model, src_b, {a}, true, alpha), {a}});
        for (int64_t c = 0; c < 6; ++c) {
          if (c != kEos) all.push_back({forced_score(model, src_b, {a, c}, false, alpha), {a, c}});
        }
      }
      REQUIRE(all.size() == 31);
      std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      INFO("alpha " << alpha << " sentence " << b);
      REQUIRE(n_best[b].size() == 10);
      for (size_t i = 0; i < 10; ++i) {
        CHECK(n_best[b][i].ids == all[i].second);
        CHECK(n_best[b][i].score == Approx(all[i].first).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("translate_n_best lists distinct hypotheses best first, scored as teacher forcing scores them", "[models]") {
  Generator gen(22);
  Transformer model = random_model(32);
  const std::vector<int64_t> lengths = {5, 3, 6, 2};
  auto batch = random_batch(lengths, 6, 1, 11, 13, gen);
  const DecodeOptions opts{.beam_size = 4, .length_penalty = 0.6, .max_length = 7};
  const auto n_best = translate_n_best(model, batch.src, batch.src_padding, opts, 4);
  const auto answers = translate(model, batch.src, batch.src_padding, opts);
  REQUIRE(n_best.size() == 4);
  for (int64_t b = 0; b < 4; ++b) {
    INFO("sentence " << b);
    const auto& list = n_best[static_cast<size_t>(b)];
    REQUIRE(list.size() == 4);
    CHECK(list.front().ids == answers[static_cast<size_t>(b)]);
    std::set<std::vector<int64_t>> distinct;
    for (size_t i = 0; i < list.size(); ++i) {
      distinct.insert(list[i].ids);
      if (i > 0) CHECK(list[i - 1].score >= list[i].score);
      CHECK(list[i].score <= 0);
      // Only a hypothesis the step limit stopped has max_length tokens; the others ended with eos.
      const bool ended = static_cast<int64_t>(list[i].ids.size()) < opts.max_length;
      const Tensor src_b = source_row(batch.src, b, lengths[static_cast<size_t>(b)]);
      CHECK(list[i].score == Approx(forced_score(model, src_b, list[i].ids, ended, 0.6)).epsilon(1e-9));
    }
    CHECK(distinct.size() == list.size());
  }
}

TEST_CASE("greedy translate_n_best gives greedy's answer with beam 1's score", "[models]") {
  Generator gen(23);
  Transformer model = random_model(33);
  auto batch = random_batch({6, 4, 2, 5}, 6, 1, 11, 13, gen);
  for (int64_t max_length : {0, 3}) {
    const DecodeOptions opts{.beam_size = 1, .length_penalty = 1.0, .max_length = max_length};
    const auto greedy = translate_n_best(model, batch.src, batch.src_padding, opts, 1);
    const auto beam = beam_search_n_best(model, batch.src, batch.src_padding, opts, 1);
    const auto ids = greedy_decode(model, batch.src, batch.src_padding, opts);
    REQUIRE(greedy.size() == 4);
    for (size_t b = 0; b < 4; ++b) {
      INFO("max_length " << max_length << " sentence " << b);
      REQUIRE(greedy[b].size() == 1);
      CHECK(greedy[b][0].ids == ids[b]);
      CHECK(beam[b][0].ids == ids[b]);
      CHECK(greedy[b][0].score == Approx(beam[b][0].score).epsilon(1e-12));
      CHECK(greedy[b][0].score < 0);
    }
  }
}

TEST_CASE("translate_n_best refuses n_best outside 1..beam_size, naming both", "[models]") {
  Generator gen(24);
  Transformer model = random_model(34);
  auto batch = random_batch({4, 2}, 6, 1, 11, 13, gen);
  CHECK_THROWS_WITH(translate_n_best(model, batch.src, batch.src_padding, {.beam_size = 4}, 5),
                    Catch::Contains("n_best 5 is outside 1..beam_size (4)"));
  CHECK_THROWS_WITH(translate_n_best(model, batch.src, batch.src_padding, {.beam_size = 4}, 0),
                    Catch::Contains("n_best 0 is outside 1..beam_size (4)"));
  CHECK_THROWS_WITH(translate_n_best(model, batch.src, batch.src_padding, {.beam_size = 1}, 2),
                    Catch::Contains("greedy decoding (beam_size 1) finds one"));
  CHECK_THROWS_WITH(beam_search_n_best(model, batch.src, batch.src_padding, {.beam_size = 2}, 3),
                    Catch::Contains("n_best 3 is outside 1..beam_size (2)"));
}
