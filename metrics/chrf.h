// chrf.h — corpus chrF (Popović 2015), character n-gram F-score, as sacreBLEU 2.x computes it
// with its defaults (word_order 0, whitespace excluded, no eps smoothing).
//
//   ChrfScore f = corpus_chrf(hypotheses, references);   // f.score: chrF2 on 0..100
//
// Definition. Each line loses all its whitespace (Python's str.split() rules), then its
// character n-grams are counted for n = 1..char_order, characters being Unicode code points.
// For each n, summed over all sentences of the corpus:
//   hyp_n   = number of n-grams in the hypotheses
//   ref_n   = number of n-grams in the references
//   match_n = sum over sentences of sum over n-grams g of min(count_hyp(g), count_ref(g))
// The orders that count are those with hyp_n > 0 and ref_n > 0 ("effective order", E). Then
//   P = (1/E) sum over those n of match_n / hyp_n        (average precision)
//   R = (1/E) sum over those n of match_n / ref_n        (average recall)
//   chrF = 100 * (1 + beta^2) P R / (beta^2 P + R)
// and chrF = 0 when E = 0 or P + R = 0. Note the averaging: precision and recall are averaged
// over n first and the F-score is taken once, from the averages (sacreBLEU's default; its
// eps_smoothing=True mode, which averages per-order F-scores like chrF++.py, is not built).
// precision and recall are reported as 100 * P and 100 * R. Different numbers of hypotheses
// and references throw qkv::Error.
#pragma once

#include <string>
#include <vector>

namespace qkv::metrics {

struct ChrfScore {
  double score = 0;                  // 0..100
  double precision = 0, recall = 0;  // 0..100, averaged over the effective orders
};

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      int char_order = 6, double beta = 2.0);

}  // namespace qkv::metrics
