// chrf_sacrebleu_test.cpp — corpus chrF against sacreBLEU's own published test vectors. The
// hypotheses, references, options and expected scores are copied from sacreBLEU's
// test/test_chrf.py (github.com/mjpost/sacrebleu at f615c72, 2.6.0), with its tolerance 1e-4.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "metrics/chrf.h"

using namespace qkv::metrics;
using Strings = std::vector<std::string>;

namespace {

struct Case {
  Strings hypotheses, references;
  double expected;
};

void check_cases(const std::vector<Case>& cases, const ChrfOptions& options) {
  for (const auto& c : cases) {
    INFO("hypothesis: " << c.hypotheses[0]);
    CHECK(corpus_chrf(c.hypotheses, c.references, options).score == Approx(c.expected).margin(1e-4));
  }
}

}  // namespace

TEST_CASE("sacreBLEU test_chrf: beta 3 with eps smoothing", "[metrics][chrf][sacrebleu]") {
  check_cases(
      {
          {{"abcdefg"}, {"hijklmnop"}, 0.0},
          {{"a"}, {"b"}, 0.0},
          {{""}, {"b"}, 0.0},
          {{""}, {"ref"}, 0.0},
          {{""}, {"reference"}, 0.0},
          {{"aa"}, {"ab"}, 8.3333},
          {{"a", "b"}, {"a", "c"}, 8.3333},
          {{"a"}, {"a"}, 16.6667},
          {{"a b c"}, {"a b c"}, 50.0},
          {{"a b c"}, {"abc"}, 50.0},
          {{" risk assessment must be made of those who are qualified and expertise in the sector - these are the "
            "scientists ."},
           {"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the "
            "scientists ."},
           63.361730},
          {{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
           {"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."},
           64.1302698},
          {{"Niemand hat die Absicht, eine Mauer zu errichten"},
           {"Niemand hat die Absicht, eine Mauer zu errichten"},
           100.0},
      },
      {.char_order = 6, .beta = 3, .eps_smoothing = true});
}

TEST_CASE("sacreBLEU test_chrf_eff_order: beta 3 with effective-order averaging", "[metrics][chrf][sacrebleu]") {
  check_cases(
      {
          {{"a"}, {"a"}, 100.0},
          {{""}, {"reference"}, 0.0},
          {{"a b c"}, {"a b c"}, 100.0},
          {{"a b c"}, {"abc"}, 100.0},
          {{""}, {"c"}, 0.0},
          {{"a", "b"}, {"a", "c"}, 50.0},
          {{"aa"}, {"ab"}, 25.0},
      },
      {.char_order = 6, .beta = 3});
}

TEST_CASE("sacreBLEU test_chrf_keep_whitespace", "[metrics][chrf][sacrebleu]") {
  check_cases(
      {
          {{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
           {"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."},
           67.3481606},
          {{"risk assessment must be made of those who are qualified and expertise in the sector - these are the "
            "scientists ."},
           {"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the "
            "scientists ."},
           65.2414427},
      },
      {.char_order = 6, .beta = 3, .whitespace = true});
}

TEST_CASE("sacreBLEU test_chrf_sentence_level: Czech sentences in chrF2 with eps smoothing",
          "[metrics][chrf][sacrebleu]") {
  check_cases(
      {
          {{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře."},
           {"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."},
           39.14078509},
          {{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři."},
           {"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři."},
           31.22557079},
          {{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly."},
           {"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli."},
           57.15704367},
      },
      {.eps_smoothing = true});
}
