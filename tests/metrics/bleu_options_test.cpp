// bleu_options_test.cpp — sacreBLEU's options worked out by hand on small cases (the counts are
// in the comments): 13a against none, cased against lowercased, exp smoothing, several
// references, and the signature and summary lines.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "metrics/bleu.h"
#include "tensor/error.h"

using namespace qkv::metrics;
using Catch::Contains;

namespace {
BleuOptions with(Tokenize tokenize, bool lowercase) {
  BleuOptions o;
  o.tokenize = tokenize;
  o.lowercase = lowercase;
  return o;
}
}  // namespace

TEST_CASE("BLEU 13a splits the final period and lowercase makes The and the one word", "[metrics][bleu]") {
  const std::vector<std::string> hyp = {"The cat sat on the mat."}, ref = {"the cat sat on the mat."};
  // 13a, cased: The cat sat on the mat . / the cat sat on the mat . (7 words each)
  //   1-grams 6/7 (The misses), 2-grams 5/6, 3-grams 4/5, 4-grams 3/4; BP = 1
  //   BLEU = 100 (6/7 · 5/6 · 4/5 · 3/4)^(1/4) = 100 (3/7)^(1/4) = 80.911
  const BleuScore cased = corpus_bleu(hyp, ref, BleuOptions{});
  CHECK(cased.matches == std::vector<int64_t>{6, 5, 4, 3});
  CHECK(cased.totals == std::vector<int64_t>{7, 6, 5, 4});
  CHECK(cased.score == Approx(100 * std::pow(3.0 / 7, 0.25)).epsilon(1e-14));
  CHECK(cased.signed_summary() ==
        "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv-sacrebleu2-compatible = 80.91 "
        "85.7/83.3/80.0/75.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)");
  CHECK(cased.summary() == "BLEU = 80.91 85.7/83.3/80.0/75.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)");
  // Lowercased, the sentences are equal.
  const BleuScore lowered = corpus_bleu(hyp, ref, with(Tokenize::mteval_13a, true));
  CHECK(lowered.score == Approx(100).epsilon(1e-14));
  CHECK(lowered.signature == "nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:qkv-sacrebleu2-compatible");
  // tokenize none, cased: The cat sat on the mat. (6 words): 5/6, 4/5, 3/4, 2/3 -> 100 (1/3)^(1/4).
  const BleuScore untokenised = corpus_bleu(hyp, ref, with(Tokenize::none, false));
  CHECK(untokenised.score == Approx(100 * std::pow(1.0 / 3, 0.25)).epsilon(1e-14));
  CHECK(untokenised.signature == "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:qkv-sacrebleu2-compatible");
}

TEST_CASE("BLEU exp smoothing halves the credit for each further order without a match", "[metrics][bleu]") {
  // hyp: the cat sat on the mat   ref: the cat is on the mat   (tokenize none)
  //   p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3 -> smoothed 1/(2 · 3) (the first order without a match)
  //   BLEU = 100 (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = 37.9918 (no smoothing: 0)
  BleuOptions o = with(Tokenize::none, false);
  const BleuScore one = corpus_bleu({"the cat sat on the mat"}, {"the cat is on the mat"}, o);
  CHECK(one.precisions[3] == Approx(100.0 / 6));
  CHECK(one.score == Approx(37.99178428257963).epsilon(1e-14));
  // hyp: a b x c d   ref: a b y c e
  //   p1 = 3/5, p2 = 1/4, p3 = 0/3 -> 1/(2 · 3), p4 = 0/2 -> 1/(4 · 2)
  //   BLEU = 100 (3/5 · 1/4 · 1/6 · 1/8)^(1/4) = 23.6435
  const BleuScore two = corpus_bleu({"a b x c d"}, {"a b y c e"}, o);
  CHECK(two.precisions[2] == Approx(100.0 / 6));
  CHECK(two.precisions[3] == Approx(100.0 / 8));
  CHECK(two.score == Approx(23.643540225079384).epsilon(1e-13));
  o.smoothing = Smoothing::none;
  CHECK(corpus_bleu({"a b x c d"}, {"a b y c e"}, o).score == 0);
}

TEST_CASE("BLEU with two references: counts clip at the larger count and length is the closest", "[metrics][bleu]") {
  // hyp "the the the" against "the cat" and "the the dog": "the" may match up to 2 times (the
  // second reference), "the the" once. 1-grams 2/3, 2-grams 1/2.
  BleuOptions o = with(Tokenize::none, false);
  const BleuScore clipped = corpus_bleu_multi({"the the the"}, {{"the cat"}, {"the the dog"}}, o);
  CHECK(clipped.matches[0] == 2);
  CHECK(clipped.matches[1] == 1);
  CHECK(clipped.signature.starts_with("nrefs:2|"));
  // hyp a b c d e (5 words) against 4 and 6 words: both 1 away, the shorter counts: r = 4, BP = 1
  // and every n-gram matches, BLEU = 100 (with r = 6 it would be 100 exp(1 - 6/5) = 81.87).
  const BleuScore tie = corpus_bleu_multi({"a b c d e"}, {{"a b c d"}, {"a b c d e f"}}, o);
  CHECK(tie.reference_length == 4);
  CHECK(tie.score == Approx(100));
  CHECK_THROWS_WITH(corpus_bleu_multi({"a"}, {{"a"}, {}}, o), Contains("1 hypotheses but 0 references"));
}

TEST_CASE("BLEU on tokenised lowercased text: tokenize none and lowercase give the tokenised figure",
          "[metrics][bleu]") {
  // Already tokenised, lowercased text: 13a changes nothing here and none keeps it as it is, so
  // --tokenize none --lowercase agrees with the tokenised-text figure whenever no order is 0.
  const std::vector<std::string> hyp = {"ein mann fährt ein fahrrad .", "zwei hunde spielen im schnee ."};
  const std::vector<std::string> ref = {"ein mann fährt fahrrad .", "zwei hunde spielen im tiefen schnee ."};
  const BleuScore tokenised = corpus_bleu(hyp, ref);
  CHECK(tokenised.signature == "nrefs:1|case:mixed|eff:no|tok:none|smooth:none|version:qkv-sacrebleu2-compatible");
  CHECK(corpus_bleu(hyp, ref, with(Tokenize::none, true)).score == tokenised.score);
  CHECK(corpus_bleu(hyp, ref, with(Tokenize::mteval_13a, true)).score == tokenised.score);
}

TEST_CASE("BLEU signatures name the smoothing value as sacreBLEU does", "[metrics][bleu]") {
  BleuOptions o;
  o.smoothing = Smoothing::floor;
  CHECK(bleu_signature(o, 1) ==
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:qkv-sacrebleu2-compatible");
  o.smoothing = Smoothing::add_k;
  o.smooth_value = 2;
  o.effective_order = true;
  CHECK(bleu_signature(o, 3) ==
        "nrefs:3|case:mixed|eff:yes|tok:13a|smooth:add-k[2.00]|version:qkv-sacrebleu2-compatible");
  o.max_ngram_order = 0;
  CHECK_THROWS_WITH(corpus_bleu({"a"}, {"a"}, o), Contains("max_ngram_order must be >= 1, got 0"));
}
