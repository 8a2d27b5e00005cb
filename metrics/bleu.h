// bleu.h — corpus BLEU (Papineni et al. 2002) as sacreBLEU 2.x computes it, and the
// tokenised-text figure multi-bleu.perl gives.
//
//   BleuScore b = corpus_bleu(hypotheses, references, BleuOptions{});   // sacreBLEU's defaults
//   fmt::print("{}\n", b.signed_summary());
//   // BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv-sacrebleu2-compatible = 35.08
//   //   65.3/41.2/27.9/19.3 (BP = 0.995 ratio = 0.995 hyp_len = 12003 ref_len = 12060)   (one line)
//   corpus_bleu(hypotheses, references).score;   // tokenised text: tokenize none, no smoothing
//
// Definition (sacreBLEU's BLEU class). Each line is lowercased if asked (Python's str.lower(),
// text.h), loses trailing whitespace, is tokenised (tokenize.h) and split into words at Unicode
// whitespace. For each sentence, the n-grams (n = 1..N, N = max_ngram_order) of the hypothesis
// are counted; a reference n-gram count is the largest over that sentence's references; the
// reference length is the reference length closest to the hypothesis length (the shorter on a
// tie). Over the whole corpus:
//   matches_n = sum over sentences and n-grams g of min(count_hyp(g), count_ref(g))
//   total_n   = number of hypothesis n-grams;  c = hypothesis words, r = reference words
//   BP = 1 if c >= r, exp(1 - r / c) if 0 < c < r, 0 if c = 0 < r
//   p_n = 100 matches_n / total_n   (percent), smoothed where matches_n = 0:
//     exp   (default; mteval's): the k-th order with no match gets 100 / (2^k total_n)
//     floor: 100 smooth_value / total_n (smooth_value 0.1 unless given)
//     add-k: for n >= 2, smooth_value (1 unless given) is added to matches_n and total_n first
//     none : 0
//   BLEU = BP exp((1/N) sum_n log p_n), log 0 taken as -9999999999 (so BLEU is 0).
// BLEU is 0 when no n-gram of any order matches. The orders stop at the first with total_n = 0
// (no hypothesis that long): the missing orders count as log 0 unless effective_order is set,
// which averages over the orders up to the last one with total_n > 0 instead (sacreBLEU's
// effective order, meant for sentence BLEU; off by default).
// Different numbers of hypotheses and references throw qkv::Error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/tokenize.h"

namespace qkv::metrics {

enum class Smoothing { none, floor, add_k, exp };

struct BleuOptions {
  Tokenize tokenize = Tokenize::mteval_13a;
  bool lowercase = false;
  Smoothing smoothing = Smoothing::exp;
  std::optional<double> smooth_value;  // floor: 0.1, add-k: 1 when not given; unused otherwise
  int max_ngram_order = 4;
  bool effective_order = false;
};

// The corpus sums BLEU is computed from (one entry per order in matches and totals).
struct BleuStatistics {
  std::vector<int64_t> matches, totals;
  int64_t hypothesis_length = 0, reference_length = 0;
};

struct BleuScore {
  double score = 0;                      // 0..100
  std::vector<double> precisions;        // percent, after smoothing, for orders 1..N
  std::vector<int64_t> matches, totals;  // the statistics they came from
  double brevity_penalty = 0;
  int64_t hypothesis_length = 0, reference_length = 0;
  std::string signature;  // "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv-sacrebleu2-compatible"

  // "65.3/41.2/27.9/19.3 (BP = 0.995 ratio = 0.995 hyp_len = 12003 ref_len = 12060)"
  std::string details() const;
  // "BLEU = 35.08 " + details(), as sacreBLEU prints a score.
  std::string summary() const;
  // "BLEU|" + signature + " = 35.08 " + details(), as sacreBLEU prints a score with its signature.
  std::string signed_summary() const;
};

// The value qkv writes where sacreBLEU writes its version, so that no signature of qkv's is
// taken for sacreBLEU's own: the definition is sacreBLEU 2.x's, the program is not.
inline constexpr const char* kSignatureVersion = "qkv-sacrebleu2-compatible";

// One reference per hypothesis.
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const BleuOptions& options);
// reference_sets[k][i] is the k-th reference of sentence i (sacreBLEU's layout): every set has
// one line per hypothesis.
BleuScore corpus_bleu_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets, const BleuOptions& options);
// Already tokenised text: tokenize none, cased as given, no smoothing (multi-bleu.perl's figure;
// training validation uses it).
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);

// BLEU from its statistics (sacreBLEU's BLEU.compute_bleu); options.tokenize and
// options.lowercase only enter the signature. nrefs is for the signature.
BleuScore bleu_from_statistics(const BleuStatistics& statistics, const BleuOptions& options, int nrefs = 1);

std::string bleu_signature(const BleuOptions& options, int nrefs);

}  // namespace qkv::metrics
