// bleu.h — corpus BLEU (Papineni et al. 2002) on already tokenised text, as multi-bleu.perl
// and sacreBLEU with tokenize='none' compute it.
//
//   BleuScore b = corpus_bleu(hypotheses, references);   // one reference per hypothesis
//   fmt::print("{}\n", b.summary());
//   // BLEU = 35.12 66.1/42.0/28.3/19.5 (BP = 0.987 ratio = 0.987 hyp_len = 12003 ref_len = 12160)
//
// Definition. Words are the whitespace-separated tokens of each line (Python's str.split()
// rules, so U+00A0 and other Unicode spaces separate words too); nothing is lowercased or
// re-tokenised. For n = 1..4, over the whole corpus:
//   matches_n = sum over sentences of sum over n-grams g of min(count_hyp(g), count_ref(g))
//   total_n   = number of n-grams in all hypotheses
//   p_n       = matches_n / total_n                     (0 when total_n is 0)
// With c = hypothesis words and r = reference words (corpus totals),
//   BP = 1 if c > r, exp(1 - r / c) if 0 < c <= r, 0 if c = 0
//   BLEU = 100 * BP * exp((log p_1 + log p_2 + log p_3 + log p_4) / 4)
// and BLEU = 0 when any p_n is 0 (no smoothing). precisions are reported as 100 * p_n.
// An empty corpus (no sentences) scores 0. Different numbers of hypotheses and references
// throw qkv::Error.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qkv::metrics {

struct BleuScore {
  double score = 0;                    // 0..100
  std::array<double, 4> precisions{};  // 0..100, for 1..4-grams
  double brevity_penalty = 0;
  int64_t hypothesis_length = 0, reference_length = 0;
  // "BLEU = 35.12 66.1/42.0/28.3/19.5 (BP = 0.987 ratio = 0.987 hyp_len = ... ref_len = ...)",
  // formatted as sacreBLEU prints it.
  std::string summary() const;
};

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);

}  // namespace qkv::metrics
