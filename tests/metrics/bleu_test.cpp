// bleu_test.cpp — the tokenised-text BLEU (corpus_bleu without options: tokenize none, no
// smoothing) against hand-computed cases (the counts are worked out in the
// comments): clipping, corpus-level sums, the brevity penalty, zero precisions, empty input.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "metrics/bleu.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::metrics;
using Catch::Contains;
using Strings = std::vector<std::string>;

TEST_CASE("BLEU of a two-sentence corpus matches the hand computation", "[metrics][bleu]") {
  // S1  hyp: a b c d e          ref: a b c d f
  //     1-grams 4/5 (e misses)  2-grams ab bc cd = 3/4   3-grams abc bcd = 2/3   4-grams abcd = 1/2
  // S2  hyp: x y z w            ref: x y z w v
  //     1-grams 4/4  2-grams 3/3  3-grams 2/2  4-grams 1/1
  // Corpus sums: p1 = 8/9, p2 = 6/7, p3 = 4/5, p4 = 2/3.  c = 9, r = 10.
  // BP = exp(1 - 10/9) = 0.894839;  (p1 p2 p3 p4)^(1/4) = (384/945)^(1/4) = 0.798408
  // BLEU = 100 * 0.894839 * 0.798408 = 71.4447
  const BleuScore b = corpus_bleu({"a b c d e", "x y z w"}, {"a b c d f", "x y z w v"});
  CHECK(b.precisions[0] == Approx(100.0 * 8 / 9));
  CHECK(b.precisions[1] == Approx(100.0 * 6 / 7));
  CHECK(b.precisions[2] == Approx(100.0 * 4 / 5));
  CHECK(b.precisions[3] == Approx(100.0 * 2 / 3));
  CHECK(b.hypothesis_length == 9);
  CHECK(b.reference_length == 10);
  CHECK(b.brevity_penalty == Approx(std::exp(1.0 - 10.0 / 9.0)));
  CHECK(b.score == Approx(71.44468265841446).epsilon(1e-12));
  CHECK(b.summary() == "BLEU = 71.44 88.9/85.7/80.0/66.7 (BP = 0.895 ratio = 0.900 hyp_len = 9 ref_len = 10)");
  // Corpus-level, not an average of sentence scores: S1 alone scores
  // 100 * exp(1 - 5/5) * (4/5 * 3/4 * 2/3 * 1/2)^(1/4) = 100 * 0.2^(1/4) = 66.874, S2 alone 100 * exp(1 - 5/4).
  CHECK(corpus_bleu({"a b c d e"}, {"a b c d f"}).score == Approx(100.0 * std::pow(0.2, 0.25)));
}

TEST_CASE("BLEU clips n-gram counts by the reference and is 0 when a precision is 0", "[metrics][bleu]") {
  // hyp: the the the the the the the (7)   ref: the cat is on the mat (6)
  // 1-grams: "the" 7 times, clipped to the reference's 2 -> 2/7; 2-grams "the the" 0/6 -> BLEU 0.
  const BleuScore b = corpus_bleu({"the the the the the the the"}, {"the cat is on the mat"});
  CHECK(b.precisions[0] == Approx(100.0 * 2 / 7));
  CHECK(b.precisions[1] == 0);
  CHECK(b.score == 0);
  CHECK(b.brevity_penalty == 1);  // c = 7 > r = 6

  // hyp: the cat sat on the mat   ref: the cat is on the mat
  // 1-grams: the×2 cat on mat = 5/6; 2-grams: "the cat" "on the" "the mat" = 3/5;
  // 3-grams: "on the mat" = 1/4; 4-grams: none of 3 -> 0/3, so BLEU = 0 (no smoothing).
  const BleuScore c = corpus_bleu({"the cat sat on the mat"}, {"the cat is on the mat"});
  CHECK(c.precisions[0] == Approx(100.0 * 5 / 6));
  CHECK(c.precisions[1] == Approx(100.0 * 3 / 5));
  CHECK(c.precisions[2] == Approx(100.0 * 1 / 4));
  CHECK(c.precisions[3] == 0);
  CHECK(c.score == 0);
}

TEST_CASE("BLEU brevity penalty: a correct but short hypothesis", "[metrics][bleu]") {
  // hyp: the cat sat on the (5)   ref: the cat sat on the mat (6)
  // Every n-gram of the hypothesis is in the reference: p1..p4 = 1. BP = exp(1 - 6/5) = 0.818731.
  const BleuScore b = corpus_bleu({"the cat sat on the"}, {"the cat sat on the mat"});
  for (double p : b.precisions) CHECK(p == Approx(100));
  CHECK(b.brevity_penalty == Approx(std::exp(-0.2)));
  CHECK(b.score == Approx(81.87307530779819));
  // Longer than the reference: no penalty (precision pays instead).
  const BleuScore longer = corpus_bleu({"the cat sat on the mat today"}, {"the cat sat on the mat"});
  CHECK(longer.brevity_penalty == 1);
  // 1..4-gram precisions 6/7, 5/6, 4/5, 3/4.
  CHECK(longer.score == Approx(100 * std::pow(6.0 / 7 * 5.0 / 6 * 4.0 / 5 * 3.0 / 4, 0.25)));
}

TEST_CASE("BLEU of an identical corpus is 100 and whitespace runs do not matter", "[metrics][bleu]") {
  const Strings refs = {"ein mann fährt fahrrad .", "zwei hunde spielen im schnee ."};
  const BleuScore b = corpus_bleu(refs, refs);
  CHECK(b.score == Approx(100));
  CHECK(b.brevity_penalty == 1);
  CHECK(corpus_bleu({"  ein mann\tfährt  fahrrad . ", "zwei hunde spielen im schnee ."}, refs).score == Approx(100));
  CHECK(b.summary() == "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 11 ref_len = 11)");
}

TEST_CASE("BLEU with empty hypotheses", "[metrics][bleu]") {
  // All empty: c = 0, so BP = 0 and every precision is 0/0, reported as 0.
  const BleuScore none = corpus_bleu({"", ""}, {"a b c d", "e f"});
  CHECK(none.score == 0);
  CHECK(none.brevity_penalty == 0);
  CHECK(none.hypothesis_length == 0);
  CHECK(none.reference_length == 6);
  for (double p : none.precisions) CHECK(p == 0);
  // One empty among others: its reference still counts toward r. c = 4, r = 6, all
  // precisions 1, BLEU = 100 * exp(1 - 6/4) = 60.653.
  CHECK(corpus_bleu({"a b c d", ""}, {"a b c d", "e f"}).score == Approx(60.653065971263345));
  // No sentences at all.
  CHECK(corpus_bleu({}, {}).score == 0);
}

TEST_CASE("BLEU rejects different numbers of hypotheses and references", "[metrics][bleu]") {
  CHECK_THROWS_AS(corpus_bleu({"a"}, {"a", "b"}), Error);
  CHECK_THROWS_WITH(corpus_bleu({"a"}, {"a", "b"}), Contains("1 hypotheses but 2 references"));
}
