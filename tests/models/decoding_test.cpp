// decoding_test.cpp — greedy decoding and beam search: agreement with each other and with a
// naive re-run-the-prefix decoder, batch independence, limits and mode restoration.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops/reduce.h"
#include "models/decoding.h"
#include "tensor/reduce.h"
#include "tensor/views.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_config;

namespace {

// Greedy decoding without any cache: re-runs the full decoder on the whole prefix each step.
std::vector<int64_t> naive_greedy(Transformer& model, const Tensor& src, int64_t max_len, int64_t eos) {
  NoGradGuard no_grad;
  const Tensor memory = model.encode(src, Tensor());
  std::vector<int64_t> prefix = {2}, out;
  for (int64_t step = 0; step < max_len; ++step) {
    const Tensor logits = model.decode(from_vector(prefix, {1, static_cast<int64_t>(prefix.size())}), memory, Tensor());
    const int64_t next = to_vector<int64_t>(raw::argmax(raw::select(raw::select(logits, 0, 0), 0, step), 0))[0];
    if (next == eos) break;
    out.push_back(next);
    prefix.push_back(next);
  }
  return out;
}

// A model whose greedy outputs are long enough to be interesting: eos (3) is rarely the argmax.
Transformer random_model(bool pre, uint64_t seed, int64_t vocab = 13) {
  TransformerConfig c = tiny_config(pre);
  c.target_vocab = vocab;
  c.d_model = 16;
  c.dropout = 0.1;  // decoding must switch it off
  Transformer model(c);
  Generator gen(seed);
  model.reset_parameters(gen);
  return model;
}

}  // namespace

TEST_CASE("greedy_decode equals naive prefix re-running and is batch independent", "[models]") {
  Generator gen(11);
  for (bool pre : {false, true}) {
    Transformer model = random_model(pre, 1 + pre);
    auto batch = random_batch({6, 3, 5, 1}, 6, 1, 11, 13, gen);
    DecodeOptions opts;
    opts.max_length = 9;
    const auto ids = greedy_decode(model, batch.src, batch.src_padding, opts);
    CHECK(model.training());  // restored
    REQUIRE(ids.size() == 4);
    model.eval();
    int64_t total = 0;
    for (int64_t b = 0; b < 4; ++b) {
      const int64_t len = std::vector<int64_t>{6, 3, 5, 1}[b];
      const Tensor src_b = raw::contiguous(raw::narrow(raw::narrow(batch.src, 0, b, 1), 1, 0, len));
      CHECK(ids[b] == naive_greedy(model, src_b, 9, 3));
      CHECK(static_cast<int64_t>(ids[b].size()) <= 9);
      total += static_cast<int64_t>(ids[b].size());
    }
    CHECK(total > 8);  // not a trivial all-eos test
    model.train();
  }
}

TEST_CASE("beam_search with beam 1 equals greedy decoding", "[models]") {
  Generator gen(12);
  for (bool pre : {false, true}) {
    Transformer model = random_model(pre, 3 + pre);
    auto batch = random_batch({7, 4, 2, 6, 5}, 7, 1, 11, 13, gen);
    for (int64_t max_length : {0, 4}) {
      DecodeOptions opts;
      opts.max_length = max_length;
      const auto greedy = greedy_decode(model, batch.src, batch.src_padding, opts);
      opts.beam_size = 1;
      CHECK(beam_search(model, batch.src, batch.src_padding, opts) == greedy);
      CHECK(translate(model, batch.src, batch.src_padding, opts) == greedy);
    }
  }
}

TEST_CASE("beam_search is batch independent and respects limits", "[models]") {
  Generator gen(13);
  Transformer model = random_model(false, 5);
  auto batch = random_batch({5, 3, 6}, 6, 1, 11, 13, gen);
  DecodeOptions opts;
  opts.beam_size = 4;
  opts.max_length = 7;
  const auto beams = beam_search(model, batch.src, batch.src_padding, opts);
  REQUIRE(beams.size() == 3);
  CHECK(model.training());
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t len = std::vector<int64_t>{5, 3, 6}[b];
    const Tensor src_b = raw::contiguous(raw::narrow(raw::narrow(batch.src, 0, b, 1), 1, 0, len));
    CHECK(beam_search(model, src_b, Tensor(), opts)[0] == beams[b]);
    CHECK(static_cast<int64_t>(beams[b].size()) <= 7);
  }
  opts.beam_size = 0;
  CHECK_THROWS_WITH(translate(model, batch.src, batch.src_padding, opts), Catch::Contains("beam_size"));
}

TEST_CASE("decoding refuses options outside their ranges, naming the option, before any work", "[models]") {
  Generator gen(14);
  Transformer model = random_model(false, 5);
  auto batch = random_batch({4, 2}, 6, 1, 11, 13, gen);
  auto refused = [&](DecodeOptions o, const std::string& part) {
    CHECK_THROWS_WITH(translate(model, batch.src, batch.src_padding, o), Catch::Contains(part));
    CHECK_THROWS_WITH(greedy_decode(model, batch.src, batch.src_padding, o), Catch::Contains(part));
    CHECK_THROWS_WITH(beam_search(model, batch.src, batch.src_padding, o), Catch::Contains(part));
  };
  refused({.beam_size = 100000000000}, "beam_size (--beam) 100000000000 is outside 1..1000");
  refused({.beam_size = -1}, "beam_size (--beam) -1");
  for (double alpha : {std::nan(""), std::numeric_limits<double>::infinity(), 1e308, -0.5}) {
    refused({.beam_size = 2, .length_penalty = alpha}, "length_penalty (--length-penalty)");
  }
  refused({.max_length = -3}, "max_length -3 is outside 0..100000");
  CHECK_NOTHROW(translate(model, batch.src, batch.src_padding, {.beam_size = 2, .length_penalty = 10}));
}

// Which hypotheses finish does not depend on alpha (candidates are ranked by raw log P); alpha
// only rescales them, and for negative scores a longer hypothesis that wins at some alpha wins
// at every larger one. So total output length cannot shrink as alpha grows.
TEST_CASE("beam_search length penalty favours longer hypotheses as alpha grows", "[models]") {
  Generator gen(14);
  Transformer model = random_model(true, 9);
  auto batch = random_batch({6, 4, 5, 3, 6, 2}, 6, 1, 11, 13, gen);
  DecodeOptions opts;
  opts.beam_size = 5;
  opts.max_length = 10;
  size_t short_total = 0, long_total = 0;
  opts.length_penalty = 0.0;
  for (const auto& ids : beam_search(model, batch.src, batch.src_padding, opts)) short_total += ids.size();
  opts.length_penalty = 2.0;
  for (const auto& ids : beam_search(model, batch.src, batch.src_padding, opts)) long_total += ids.size();
  CHECK(long_total >= short_total);
}

TEST_CASE("beam_search with a beam as wide as the search space finds the exact best", "[models]") {
  // Target vocab 6 (eos = 3), max_length 2: every hypothesis is [eos], [a, eos] or [a, b] with
  // a, b != eos. A beam of 36 keeps them all, so its answer must be the brute-force argmax of
  // log P / ((5 + len)/6)^alpha.
  Generator gen(15);
  Transformer model = random_model(false, 11, 6);
  auto batch = random_batch({4, 2}, 4, 1, 11, 6, gen);
  for (double alpha : {0.0, 0.6, 3.0}) {
    DecodeOptions opts;
    opts.beam_size = 36;
    opts.max_length = 2;
    opts.length_penalty = alpha;
    const auto beams = beam_search(model, batch.src, batch.src_padding, opts);
    NoGradGuard no_grad;
    model.eval();
    for (int64_t b = 0; b < 2; ++b) {
      const Tensor src_b = raw::contiguous(raw::narrow(batch.src, 0, b, 1));
      const Tensor pad_b = raw::contiguous(raw::narrow(batch.src_padding, 0, b, 1));
      auto log_probs = [&](const std::vector<int64_t>& prefix) {  // next-token log P after bos + prefix
        std::vector<int64_t> in = {2};
        in.insert(in.end(), prefix.begin(), prefix.end());
        const Tensor logits = model.forward(src_b, pad_b, from_vector(in, {1, static_cast<int64_t>(in.size())}));
        const auto lp = to_vector<double>(log_softmax(logits, 2));
        return std::vector<double>(lp.end() - 6, lp.end());
      };
      auto norm = [&](double s, int64_t len) { return s / std::pow((5.0 + len) / 6.0, alpha); };
      const auto first = log_probs({});
      std::vector<int64_t> best_ids;
      double best = norm(first[3], 1);  // [eos]
      for (int64_t a = 0; a < 6; ++a) {
        if (a == 3) continue;
        const auto second = log_probs({a});
        for (int64_t c = 0; c < 6; ++c) {
          const double s = c == 3 ? norm(first[a] + second[3], 2) : norm(first[a] + second[c], 2);
          if (s > best) {
            best = s;
            best_ids = c == 3 ? std::vector<int64_t>{a} : std::vector<int64_t>{a, c};
          }
        }
      }
      INFO("alpha " << alpha << " sentence " << b);
      CHECK(beams[b] == best_ids);
    }
    model.train();
  }
}
