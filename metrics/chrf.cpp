// chrf.cpp — corpus chrF from character n-gram statistics, sacreBLEU's way (see chrf.h).
#include "metrics/chrf.h"

#include <fmt/format.h>

#include <unordered_map>

#include "metrics/bleu.h"
#include "metrics/text.h"
#include "tensor/error.h"

namespace qkv::metrics {
namespace {

using CharNgramCounts = std::unordered_map<std::u32string_view, int64_t>;

// The characters chrF counts in one line: lowercased if asked, whitespace removed unless kept.
std::u32string prepared_line(const std::string& line, const ChrfOptions& options) {
  std::u32string text = decode_utf8(line);
  if (options.lowercase) text = python_lower(text);
  if (options.whitespace) return text;
  std::u32string joined;
  for (const std::u32string_view word : split_words(text)) joined.append(word);
  return joined;
}

// counts[n - 1] holds the n-grams of order n; the keys point into `chars`.
std::vector<CharNgramCounts> char_ngram_counts(const std::u32string& chars, int max_order) {
  std::vector<CharNgramCounts> counts(max_order);
  const std::u32string_view view(chars);
  for (int n = 1; n <= max_order; ++n) {
    for (size_t i = 0; i + n <= chars.size(); ++i) ++counts[n - 1][view.substr(i, n)];
  }
  return counts;
}

ChrfStatistics sentence_statistics(const std::vector<CharNgramCounts>& hypothesis,
                                   const std::vector<CharNgramCounts>& reference) {
  const size_t orders = hypothesis.size();
  ChrfStatistics stats{std::vector<int64_t>(orders), std::vector<int64_t>(orders), std::vector<int64_t>(orders)};
  for (size_t n = 0; n < orders; ++n) {
    int64_t hyp_count = 0, ref_count = 0, matches = 0;
    for (const auto& [gram, count] : hypothesis[n]) {
      hyp_count += count;
      auto it = reference[n].find(gram);
      if (it != reference[n].end()) matches += std::min(count, it->second);
    }
    for (const auto& entry : reference[n]) ref_count += entry.second;
    // sacreBLEU counts no hypothesis n-grams of an order the reference is too short to have.
    stats.hypothesis[n] = reference[n].empty() ? 0 : hyp_count;
    stats.reference[n] = ref_count;
    stats.matches[n] = matches;
  }
  return stats;
}

struct FScore {
  double score = 0, precision = 0, recall = 0;  // 0..100
};

// sacreBLEU's CHRF._compute_f_score, with its order of operations.
FScore f_score(const ChrfStatistics& stats, const ChrfOptions& options) {
  constexpr double kEps = 1e-16;
  const double factor = static_cast<double>(options.beta) * options.beta;
  double eps_sum = 0, avg_precision = 0, avg_recall = 0;
  int effective_order = 0;
  for (int n = 0; n < options.char_order; ++n) {
    const int64_t hyp = stats.hypothesis[n], ref = stats.reference[n];
    const double matches = static_cast<double>(stats.matches[n]);
    const double precision = hyp > 0 ? matches / static_cast<double>(hyp) : kEps;
    const double recall = ref > 0 ? matches / static_cast<double>(ref) : kEps;
    const double denominator = factor * precision + recall;
    eps_sum += denominator > 0 ? (1 + factor) * precision * recall / denominator : kEps;
    if (hyp > 0 && ref > 0) {
      avg_precision += precision;
      avg_recall += recall;
      ++effective_order;
    }
  }
  FScore f;
  if (effective_order > 0) {
    avg_precision /= effective_order;
    avg_recall /= effective_order;
  }
  f.precision = 100 * avg_precision;
  f.recall = 100 * avg_recall;
  if (options.eps_smoothing) {
    f.score = 100 * eps_sum / options.char_order;
  } else if (avg_precision + avg_recall != 0) {
    double score = (1 + factor) * avg_precision * avg_recall;
    score /= factor * avg_precision + avg_recall;
    f.score = 100 * score;
  }
  return f;
}

void add_to(ChrfStatistics& total, const ChrfStatistics& sentence) {
  for (size_t n = 0; n < total.hypothesis.size(); ++n) {
    total.hypothesis[n] += sentence.hypothesis[n];
    total.reference[n] += sentence.reference[n];
    total.matches[n] += sentence.matches[n];
  }
}

}  // namespace

std::string chrf_signature(const ChrfOptions& options, int nrefs) {
  return fmt::format("nrefs:{}|case:{}|eff:{}|nc:{}|nw:0|space:{}|version:{}", nrefs,
                     options.lowercase ? "lc" : "mixed", options.eps_smoothing ? "no" : "yes", options.char_order,
                     options.whitespace ? "yes" : "no", kSignatureVersion);
}

ChrfScore chrf_from_statistics(const ChrfStatistics& statistics, const ChrfOptions& options, int nrefs) {
  check(options.char_order >= 1, "corpus_chrf: char_order must be >= 1, got {}", options.char_order);
  check(options.beta >= 1, "corpus_chrf: beta must be >= 1, got {}", options.beta);
  const auto orders = static_cast<size_t>(options.char_order);
  check(statistics.hypothesis.size() == orders && statistics.reference.size() == orders &&
            statistics.matches.size() == orders,
        "chrf_from_statistics: statistics for {} orders but char_order is {}", statistics.hypothesis.size(), orders);
  const FScore f = f_score(statistics, options);
  return ChrfScore{.score = f.score,
                   .precision = f.precision,
                   .recall = f.recall,
                   .beta = options.beta,
                   .signature = chrf_signature(options, nrefs)};
}

ChrfScore corpus_chrf_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets, const ChrfOptions& options) {
  check(!reference_sets.empty(), "corpus_chrf: no reference sets");
  for (const auto& references : reference_sets) {
    check(references.size() == hypotheses.size(), "corpus_chrf: {} hypotheses but {} references (need one each)",
          hypotheses.size(), references.size());
  }
  check(options.char_order >= 1, "corpus_chrf: char_order must be >= 1, got {}", options.char_order);
  check(options.beta >= 1, "corpus_chrf: beta must be >= 1, got {}", options.beta);
  const auto orders = static_cast<size_t>(options.char_order);
  ChrfStatistics total{std::vector<int64_t>(orders), std::vector<int64_t>(orders), std::vector<int64_t>(orders)};
  for (size_t s = 0; s < hypotheses.size(); ++s) {
    const std::u32string hyp_chars = prepared_line(hypotheses[s], options);
    const auto hyp_counts = char_ngram_counts(hyp_chars, options.char_order);
    ChrfStatistics best;
    double best_score = -1;
    for (const auto& references : reference_sets) {
      const std::u32string ref_chars = prepared_line(references[s], options);
      ChrfStatistics stats = sentence_statistics(hyp_counts, char_ngram_counts(ref_chars, options.char_order));
      const double score = f_score(stats, options).score;
      if (score > best_score) best_score = score, best = std::move(stats);
    }
    add_to(total, best);
  }
  return chrf_from_statistics(total, options, static_cast<int>(reference_sets.size()));
}

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const ChrfOptions& options) {
  check(hypotheses.size() == references.size(), "corpus_chrf: {} hypotheses but {} references (need one each)",
        hypotheses.size(), references.size());
  return corpus_chrf_multi(hypotheses, {references}, options);
}

std::string ChrfScore::name() const { return fmt::format("chrF{}", beta); }

std::string ChrfScore::summary() const { return fmt::format("{} = {:.2f}", name(), score); }

std::string ChrfScore::signed_summary() const { return fmt::format("{}|{} = {:.2f}", name(), signature, score); }

}  // namespace qkv::metrics
