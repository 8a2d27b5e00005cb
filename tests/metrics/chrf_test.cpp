// chrf_test.cpp — corpus chrF against hand-computed cases (worked out in the comments),
// including the corpus-level averaging rule that distinguishes sacreBLEU's default.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "metrics/chrf.h"
#include "tensor/error.h"

using namespace qkv;
using namespace qkv::metrics;
using Catch::Contains;

TEST_CASE("chrF of one short pair matches the hand computation", "[metrics][chrf]") {
  // hyp "ab", ref "abc" (char_order 6, beta 2).
  //   n=1: hyp {a, b} 2, ref {a, b, c} 3, match 2.   n=2: hyp {ab} 1, ref {ab, bc} 2, match 1.
  //   n>=3: the hypothesis has none, so only orders 1 and 2 count (effective order 2).
  //   P = (2/2 + 1/1) / 2 = 1,  R = (2/3 + 1/2) / 2 = 7/12
  //   chrF2 = 5 P R / (4 P + R) = (35/12) / (55/12) = 7/11 = 63.636
  const ChrfScore f = corpus_chrf({"ab"}, {"abc"});
  CHECK(f.precision == Approx(100));
  CHECK(f.recall == Approx(100.0 * 7 / 12));
  CHECK(f.score == Approx(100.0 * 7 / 11));
  // Whitespace is removed before counting.
  CHECK(corpus_chrf({"a  b"}, {"a b c"}).score == Approx(100.0 * 7 / 11));
}

TEST_CASE("chrF sums statistics over the corpus then averages P and R over orders", "[metrics][chrf]") {
  // Pair 1 as above: n=1 (2, 3, 2), n=2 (1, 2, 1).  Pair 2: hyp "xy", ref "xy": n=1 (2, 2, 2), n=2 (1, 1, 1).
  // Corpus sums: n=1 hyp 4, ref 5, match 4; n=2 hyp 2, ref 3, match 2.
  //   P = (4/4 + 2/2) / 2 = 1,  R = (4/5 + 2/3) / 2 = 11/15
  //   chrF2 = 5 * 11/15 / (4 + 11/15) = 55/71 = 77.465
  // (Averaging the two sentence scores would give (63.636 + 100) / 2 = 81.8 instead.)
  const ChrfScore f = corpus_chrf({"ab", "xy"}, {"abc", "xy"});
  CHECK(f.recall == Approx(100.0 * 11 / 15));
  CHECK(f.score == Approx(100.0 * 55 / 71));
  // beta = 1 weighs precision and recall equally: 2 P R / (P + R) = (22/15) / (26/15) = 11/13.
  CHECK(corpus_chrf({"ab", "xy"}, {"abc", "xy"}, {.beta = 1}).score == Approx(100.0 * 11 / 13));
}

TEST_CASE("chrF counts characters not bytes", "[metrics][chrf]") {
  // hyp "über", ref "uber": 1-grams 3/4 (b e r), 2-grams 2/3 (be er), 3-grams 1/2 (ber),
  // 4-grams 0/1; equal lengths, so P = R = (3/4 + 2/3 + 1/2 + 0) / 4 = 23/48 and chrF = P.
  // Counting bytes (ü is two) would give different counts.
  const ChrfScore f = corpus_chrf({"über"}, {"uber"});
  CHECK(f.precision == Approx(100.0 * 23 / 48));
  CHECK(f.recall == Approx(100.0 * 23 / 48));
  CHECK(f.score == Approx(100.0 * 23 / 48));
}

TEST_CASE("chrF of an identical corpus is 100 and of empty hypotheses 0", "[metrics][chrf]") {
  const std::vector<std::string> refs = {"ein mann fährt fahrrad .", "zwei hunde ."};
  CHECK(corpus_chrf(refs, refs).score == Approx(100));
  const ChrfScore empty = corpus_chrf({"", " "}, refs);
  CHECK(empty.score == 0);
  CHECK(empty.precision == 0);
  CHECK(empty.recall == 0);
  CHECK(corpus_chrf({"x"}, {"y"}).score == 0);  // n=1 counts but nothing matches
  CHECK(corpus_chrf({}, {}).score == 0);
}

TEST_CASE("chrF rejects different counts and bad parameters", "[metrics][chrf]") {
  CHECK_THROWS_WITH(corpus_chrf({"a", "b"}, {"a"}), Contains("2 hypotheses but 1 references"));
  CHECK_THROWS_WITH(corpus_chrf({"a"}, {"a"}, {.char_order = 0}), Contains("char_order"));
  CHECK_THROWS_WITH(corpus_chrf({"a"}, {"a"}, {.beta = 0}), Contains("beta"));
}

TEST_CASE("chrF counts no hypothesis n-grams of an order the sentence's reference lacks", "[metrics][chrf]") {
  // Pair 1: hyp "abc", ref "ab". n=1 (3, 2, 2), n=2 (2, 1, 1); n=3: the reference has no 3-grams,
  // so the hypothesis's one 3-gram is not counted (sacreBLEU's rule): (0, 0, 0).
  // Pair 2: "abcd" both: n=1 (4, 4, 4), n=2 (3, 3, 3), n=3 (2, 2, 2), n=4 (1, 1, 1).
  // Corpus: n=1 (7, 6, 6), n=2 (5, 4, 4), n=3 (2, 2, 2), n=4 (1, 1, 1); four orders count.
  //   P = (6/7 + 4/5 + 1 + 1) / 4 = 32/35,  R = 1,  chrF2 = 5 P / (4 P + 1) = 160/163 = 98.160
  // (Counting that 3-gram, n=3 would be (3, 2, 2) and chrF2 = 1745/1816 = 96.09.)
  const ChrfScore f = corpus_chrf({"abc", "abcd"}, {"ab", "abcd"});
  CHECK(f.precision == Approx(100.0 * 32 / 35));
  CHECK(f.recall == Approx(100));
  CHECK(f.score == Approx(100.0 * 160 / 163).epsilon(1e-14));
}

TEST_CASE("chrF lowercase and signatures and summaries", "[metrics][chrf]") {
  // "Ab" against "ab": cased, n=1 (2, 2, 1), n=2 (1, 1, 0): P = R = (1/2 + 0) / 2 = 1/4, chrF2 = 25.
  const ChrfScore cased = corpus_chrf({"Ab"}, {"ab"});
  CHECK(cased.score == Approx(25).epsilon(1e-14));
  CHECK(cased.signed_summary() ==
        "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:qkv-sacrebleu2-compatible = 25.00");
  CHECK(cased.summary() == "chrF2 = 25.00");
  const ChrfScore lowered = corpus_chrf({"Ab"}, {"ab"}, {.lowercase = true});
  CHECK(lowered.score == Approx(100));
  CHECK(lowered.signature == "nrefs:1|case:lc|eff:yes|nc:6|nw:0|space:no|version:qkv-sacrebleu2-compatible");
  CHECK(corpus_chrf({"a"}, {"a"}, {.beta = 3, .whitespace = true, .eps_smoothing = true})
            .signed_summary()
            .starts_with("chrF3|nrefs:1|case:mixed|eff:no|nc:6|nw:0|space:yes|"));
}
