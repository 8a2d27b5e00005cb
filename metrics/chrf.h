// chrf.h — corpus chrF (Popović 2015), the character n-gram F-score, as sacreBLEU 2.x computes
// it. The defaults are sacreBLEU's chrF2: char order 6, no word n-grams, beta 2, cased,
// whitespace removed, effective-order averaging (not eps smoothing).
//
//   ChrfScore f = corpus_chrf(hypotheses, references);   // f.score: chrF2 on 0..100
//   fmt::print("{}\n", f.signed_summary());
//   // chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:qkv-sacrebleu2-compatible = 61.23
//
// Definition (sacreBLEU's CHRF class, word_order 0). Each line is lowercased if asked (Python's
// str.lower()) and, unless whitespace is kept, loses every whitespace character (Python's
// str.split() rules); its character n-grams are counted for n = 1..char_order, characters being
// code points. For one sentence and one reference, order n gives three numbers:
//   hyp_n   = number of hypothesis n-grams, or 0 when the reference has no n-grams of order n
//   ref_n   = number of reference n-grams
//   match_n = sum over n-grams g of min(count_hyp(g), count_ref(g))
// With several references the sentence keeps the numbers of the reference whose F-score (below)
// is highest (the first on a tie). The corpus sums the numbers over sentences, then:
//   averaged (default): the orders with hyp_n > 0 and ref_n > 0 count (E of them);
//     P = (1/E) sum match_n / hyp_n,  R = (1/E) sum match_n / ref_n,
//     chrF = 100 (1 + beta^2) P R / (beta^2 P + R), and 0 when E = 0 or P + R = 0;
//   eps_smoothing (chrF++.py, NLTK and Moses): every order counts, a precision or recall with a
//     zero denominator is 1e-16, F_n = (1 + beta^2) P_n R_n / (beta^2 P_n + R_n) (1e-16 when the
//     denominator is 0) and chrF = 100 (1/char_order) sum F_n.
// precision and recall report 100 P and 100 R of the averaged form. Different numbers of
// hypotheses and references throw qkv::Error. chrF++ (word n-grams) is not built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qkv::metrics {

struct ChrfOptions {
  int char_order = 6;
  int beta = 2;
  bool lowercase = false;
  bool whitespace = false;  // keep whitespace characters in the n-grams
  bool eps_smoothing = false;
};

// Summed over the corpus, for order n at index n - 1.
struct ChrfStatistics {
  std::vector<int64_t> hypothesis, reference, matches;
};

struct ChrfScore {
  double score = 0;                  // 0..100
  double precision = 0, recall = 0;  // 0..100, averaged over the effective orders
  int beta = 2;
  std::string signature;  // "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:..."

  std::string name() const;            // "chrF2"
  std::string summary() const;         // "chrF2 = 61.23"
  std::string signed_summary() const;  // "chrF2|" + signature + " = 61.23"
};

// One reference per hypothesis.
ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const ChrfOptions& options = {});
// reference_sets[k][i] is the k-th reference of sentence i; every set has one line per hypothesis.
ChrfScore corpus_chrf_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets, const ChrfOptions& options);

// chrF from summed statistics. nrefs is for the signature.
ChrfScore chrf_from_statistics(const ChrfStatistics& statistics, const ChrfOptions& options, int nrefs = 1);

std::string chrf_signature(const ChrfOptions& options, int nrefs);

}  // namespace qkv::metrics
