// bleu_sacrebleu_test.cpp — corpus BLEU against sacreBLEU's own published test vectors. The
// hypotheses, references, options and expected scores are copied from sacreBLEU's test suite
// (github.com/mjpost/sacrebleu at f615c72, 2.6.0): test/test_bleu.py and
// test/test_sentence_bleu.py, with the tolerances used there (1e-8 on 0..1 for test_bleu.py,
// 1e-3 on 0..100 for test_sentence_bleu.py). Cases that need tokenisers qkv does not build
// ('intl', 'char') are left out.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "metrics/bleu.h"

using namespace qkv::metrics;
using Strings = std::vector<std::string>;

namespace {

// sacreBLEU's README example (test_bleu.py: _hyps, _refs): three sentences, two reference sets.
const Strings kHyps = {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."};
const std::vector<Strings> kRefs = {
    {"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
    {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
};

// sacreBLEU's compat.raw_corpus_bleu: no tokenisation, floor smoothing, effective order.
BleuOptions raw_corpus_options(double floor_value) {
  BleuOptions o;
  o.tokenize = Tokenize::none;
  o.smoothing = Smoothing::floor;
  o.smooth_value = floor_value;
  o.effective_order = true;
  return o;
}

constexpr double kCorpusTolerance = 1e-6;  // test_bleu.py's 1e-8 on the 0..1 scale

}  // namespace

TEST_CASE("sacreBLEU test_corpus_bleu: the README example under several options", "[metrics][bleu][sacrebleu]") {
  const BleuOptions defaults;
  CHECK(corpus_bleu_multi(kHyps, kRefs, defaults).score == Approx(48.530827).margin(kCorpusTolerance));
  BleuOptions none = defaults;
  none.tokenize = Tokenize::none;
  CHECK(corpus_bleu_multi(kHyps, kRefs, none).score == Approx(49.1919566).margin(kCorpusTolerance));
  BleuOptions no_smoothing = defaults;
  no_smoothing.smoothing = Smoothing::none;
  CHECK(corpus_bleu_multi(kHyps, kRefs, no_smoothing).score == Approx(48.530827).margin(kCorpusTolerance));
  // Empty hypotheses are kept and score 0.
  CHECK(corpus_bleu_multi({"", "", ""}, kRefs, defaults).score == 0.0);
}

TEST_CASE("sacreBLEU test_max_ngram_order: the README example for N = 1..6", "[metrics][bleu][sacrebleu]") {
  const std::vector<std::string> expected = {"77.65", "60.50", "53.93", "48.53", "46.14", "43.28"};
  for (int order = 1; order <= 6; ++order) {
    BleuOptions o;
    o.max_ngram_order = order;
    CHECK(fmt::format("{:.2f}", corpus_bleu_multi(kHyps, kRefs, o).score) == expected[order - 1]);
  }
}

TEST_CASE("sacreBLEU test_raw_bleu and test_effective_order", "[metrics][bleu][sacrebleu]") {
  const BleuOptions raw = raw_corpus_options(0.01);
  // No match at all: 0 (sacreBLEU issue #141).
  CHECK(corpus_bleu({"this is a test", "another test"}, {"ref1", "ref2"}, raw).score == 0.0);
  CHECK(corpus_bleu({"this is a test"}, {"this is a test"}, raw).score == Approx(100.0).margin(kCorpusTolerance));
  CHECK(corpus_bleu({"this is a fest"}, {"this is a test"}, raw).score ==
        Approx(22.3606797749979).margin(kCorpusTolerance));
  CHECK(corpus_bleu({"test"}, {"a test"}, raw).score == Approx(36.78794411714425).margin(kCorpusTolerance));
  CHECK(corpus_bleu({"a test"}, {"a test"}, raw).score == Approx(100.0).margin(kCorpusTolerance));
  CHECK(corpus_bleu({"a little test"}, {"a test"}, raw).score == Approx(3.218297948685433).margin(kCorpusTolerance));
}

TEST_CASE("sacreBLEU test_statistics and test_offset", "[metrics][bleu][sacrebleu]") {
  const Strings hyp = {"am I am a character sequence"}, ref = {"I am a symbol string sequence a a"};
  const BleuScore stats = corpus_bleu(hyp, ref, raw_corpus_options(0.01));
  CHECK(stats.matches == std::vector<int64_t>{4, 2, 1, 0});
  CHECK(stats.totals == std::vector<int64_t>{6, 5, 4, 3});
  // Floor smoothing with value 0 leaves the 4-gram precision at 0; the default floor is 0.1.
  CHECK(corpus_bleu(hyp, ref, raw_corpus_options(0.0)).score == Approx(0.0).margin(kCorpusTolerance));
  BleuOptions default_floor = raw_corpus_options(0.1);
  default_floor.smooth_value.reset();
  CHECK(corpus_bleu(hyp, ref, default_floor).score == Approx(15.55722182).margin(kCorpusTolerance));
  CHECK(corpus_bleu(hyp, ref, raw_corpus_options(0.1)).score == Approx(15.55722182).margin(kCorpusTolerance));
}

TEST_CASE("sacreBLEU test_scoring and test_degenerate_statistics: BLEU from statistics", "[metrics][bleu][sacrebleu]") {
  BleuOptions none;
  none.smoothing = Smoothing::none;
  const BleuScore s = bleu_from_statistics({{9, 7, 5, 3}, {10, 8, 6, 4}, 11, 11}, none);
  CHECK(s.score == Approx(83.75922397).margin(kCorpusTolerance));
  // (matches, totals, hyp_len, ref_len, floor value): every one scores exactly 0.
  struct Degenerate {
    BleuStatistics stats;
    double floor;
  };
  const std::vector<Degenerate> cases = {
      {{{0, 0, 0, 0}, {4, 4, 2, 1}, 0, 1}, 0.0}, {{{0, 0, 0, 0}, {10, 11, 12, 0}, 14, 10}, 0.0},
      {{{0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0}, 0.0}, {{{6, 5, 4, 0}, {6, 5, 4, 3}, 6, 6}, 0.0},
      {{{0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0}, 0.1}, {{{0, 0, 0, 0}, {0, 0, 0, 0}, 1, 5}, 0.01},
  };
  for (const auto& c : cases) {
    BleuOptions floor;
    floor.smoothing = Smoothing::floor;
    floor.smooth_value = c.floor;
    CHECK(bleu_from_statistics(c.stats, floor).score == 0.0);
  }
}

TEST_CASE("sacreBLEU test_sentence_bleu: smoothing methods on one Romanian sentence", "[metrics][bleu][sacrebleu]") {
  // sacreBLEU issue #98; sentence BLEU is corpus BLEU of one sentence, here with effective order.
  const Strings ref = {"producţia de zahăr brut se exprimă în zahăr alb;"};
  const Strings sys = {"Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"};
  struct Case {
    Smoothing smoothing;
    std::optional<double> value;
    Tokenize tokenize;
    double expected;
  };
  const std::vector<Case> cases = {
      {Smoothing::exp, {}, Tokenize::mteval_13a, 8.493},     {Smoothing::none, {}, Tokenize::mteval_13a, 0.0},
      {Smoothing::floor, {}, Tokenize::mteval_13a, 4.51688}, {Smoothing::floor, 0.1, Tokenize::mteval_13a, 4.51688},
      {Smoothing::floor, 0.5, Tokenize::mteval_13a, 10.10},  {Smoothing::add_k, {}, Tokenize::mteval_13a, 14.882},
      {Smoothing::add_k, 1, Tokenize::mteval_13a, 14.882},   {Smoothing::add_k, 2, Tokenize::mteval_13a, 21.389},
      {Smoothing::exp, {}, Tokenize::none, 7.347},
  };
  for (const auto& c : cases) {
    BleuOptions o;
    o.smoothing = c.smoothing;
    o.smooth_value = c.value;
    o.tokenize = c.tokenize;
    o.effective_order = true;
    CHECK(corpus_bleu(sys, ref, o).score == Approx(c.expected).margin(1e-3));
  }
  // sacreBLEU issue #141: no word in common scores 0 under every smoothing.
  for (const Smoothing smoothing : {Smoothing::exp, Smoothing::none, Smoothing::floor, Smoothing::add_k}) {
    BleuOptions o;
    o.smoothing = smoothing;
    o.effective_order = true;
    CHECK(corpus_bleu({"this is a cat"}, {"okay thanks"}, o).score == 0.0);
  }
}
