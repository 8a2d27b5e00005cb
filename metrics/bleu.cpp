// bleu.cpp — corpus BLEU from clipped n-gram counts, sacreBLEU's way (the definition is in bleu.h).
#include "metrics/bleu.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "metrics/text.h"
#include "tensor/error.h"

namespace qkv::metrics {
namespace {

using NgramCounts = std::unordered_map<std::u32string, int64_t>;

// The words BLEU counts in one line: lowercased if asked, trailing whitespace removed, tokenised.
std::u32string prepared_line(const std::string& line, const BleuOptions& options) {
  std::u32string text = decode_utf8(line);
  if (options.lowercase) text = python_lower(text);
  const std::u32string_view stripped = strip_right(text);
  return options.tokenize == Tokenize::mteval_13a ? tokenize_13a(stripped) : std::u32string(stripped);
}

// Counts of every n-gram of `words`, n = 1..max_order; an n-gram is its words joined by spaces
// (a word holds no whitespace, so the joined text is unambiguous).
NgramCounts ngram_counts(const std::vector<std::u32string_view>& words, int max_order) {
  NgramCounts counts;
  for (int n = 1; n <= max_order; ++n) {
    for (size_t i = 0; i + n <= words.size(); ++i) {
      std::u32string gram(words[i]);
      for (int k = 1; k < n; ++k) gram.append(1, U' ').append(words[i + k]);
      ++counts[gram];
    }
  }
  return counts;
}

int order_of(const std::u32string& gram) { return 1 + static_cast<int>(std::count(gram.begin(), gram.end(), U' ')); }

// The reference length closest to the hypothesis length; the shorter one on a tie.
int64_t closest_length(int64_t hypothesis_length, const std::vector<int64_t>& reference_lengths) {
  int64_t best = -1;
  for (const int64_t r : reference_lengths) {
    const int64_t diff = std::llabs(hypothesis_length - r), best_diff = std::llabs(hypothesis_length - best);
    if (best < 0 || diff < best_diff || (diff == best_diff && r < best)) best = r;
  }
  return best;
}

// sacreBLEU's floor on the log of a precision: log 0 is a very negative number, not -inf.
double floored_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

double default_smooth_value(Smoothing smoothing) { return smoothing == Smoothing::floor ? 0.1 : 1.0; }

}  // namespace

std::string bleu_signature(const BleuOptions& options, int nrefs) {
  std::string smooth;
  switch (options.smoothing) {
    case Smoothing::none: smooth = "none"; break;
    case Smoothing::exp: smooth = "exp"; break;
    case Smoothing::floor:
    case Smoothing::add_k:
      smooth = fmt::format("{}[{:.2f}]", options.smoothing == Smoothing::floor ? "floor" : "add-k",
                           options.smooth_value.value_or(default_smooth_value(options.smoothing)));
      break;
  }
  return fmt::format("nrefs:{}|case:{}|eff:{}|tok:{}|smooth:{}|version:{}", nrefs, options.lowercase ? "lc" : "mixed",
                     options.effective_order ? "yes" : "no", tokenize_name(options.tokenize), smooth,
                     kSignatureVersion);
}

BleuScore bleu_from_statistics(const BleuStatistics& statistics, const BleuOptions& options, int nrefs) {
  const int max_order = options.max_ngram_order;
  check(max_order >= 1, "corpus_bleu: max_ngram_order must be >= 1, got {}", max_order);
  check(statistics.matches.size() == static_cast<size_t>(max_order) &&
            statistics.totals.size() == statistics.matches.size(),
        "bleu_from_statistics: {} match and {} total counts for max_ngram_order {}", statistics.matches.size(),
        statistics.totals.size(), max_order);
  BleuScore result;
  result.matches = statistics.matches;
  result.totals = statistics.totals;
  result.hypothesis_length = statistics.hypothesis_length;
  result.reference_length = statistics.reference_length;
  result.signature = bleu_signature(options, nrefs);
  result.precisions.assign(max_order, 0.0);
  const double c = static_cast<double>(statistics.hypothesis_length),
               r = static_cast<double>(statistics.reference_length);
  result.brevity_penalty = c < r ? (c > 0 ? std::exp(1.0 - r / c) : 0.0) : 1.0;
  if (std::all_of(statistics.matches.begin(), statistics.matches.end(), [](int64_t m) { return m == 0; }))
    return result;

  const double smooth_value = options.smooth_value.value_or(default_smooth_value(options.smoothing));
  double exp_divisor = 1.0;  // 2^k for the k-th order without a match (exp smoothing)
  int orders_used = max_order;
  for (int n = 1; n <= max_order; ++n) {
    double matches = static_cast<double>(statistics.matches[n - 1]);
    double total = static_cast<double>(statistics.totals[n - 1]);
    if (options.smoothing == Smoothing::add_k && n > 1) matches += smooth_value, total += smooth_value;
    if (total == 0) break;  // no hypothesis has n words: this order and longer ones stay 0
    if (options.effective_order) orders_used = n;
    double& p = result.precisions[n - 1];
    if (matches > 0) {
      p = 100.0 * matches / total;
    } else if (options.smoothing == Smoothing::exp) {
      exp_divisor *= 2;
      p = 100.0 / (exp_divisor * total);
    } else if (options.smoothing == Smoothing::floor) {
      p = 100.0 * smooth_value / total;
    }
  }
  double log_sum = 0;  // summed in order, as Python's sum() does
  for (int n = 0; n < orders_used; ++n) log_sum += floored_log(result.precisions[n]);
  result.score = result.brevity_penalty * std::exp(log_sum / orders_used);
  return result;
}

BleuScore corpus_bleu_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets, const BleuOptions& options) {
  check(!reference_sets.empty(), "corpus_bleu: no reference sets");
  for (const auto& references : reference_sets) {
    check(references.size() == hypotheses.size(), "corpus_bleu: {} hypotheses but {} references (need one each)",
          hypotheses.size(), references.size());
  }
  const int max_order = options.max_ngram_order;
  check(max_order >= 1, "corpus_bleu: max_ngram_order must be >= 1, got {}", max_order);
  BleuStatistics stats;
  stats.matches.assign(max_order, 0);
  stats.totals.assign(max_order, 0);
  for (size_t s = 0; s < hypotheses.size(); ++s) {
    NgramCounts reference_counts;  // the largest count of each n-gram over the references
    std::vector<int64_t> reference_lengths;
    for (const auto& references : reference_sets) {
      const std::u32string line = prepared_line(references[s], options);
      const auto words = split_words(line);
      reference_lengths.push_back(static_cast<int64_t>(words.size()));
      for (const auto& [gram, count] : ngram_counts(words, max_order)) {
        int64_t& best = reference_counts[gram];
        best = std::max(best, count);
      }
    }
    const std::u32string line = prepared_line(hypotheses[s], options);
    const auto words = split_words(line);
    const auto hypothesis_length = static_cast<int64_t>(words.size());
    stats.hypothesis_length += hypothesis_length;
    stats.reference_length += closest_length(hypothesis_length, reference_lengths);
    for (const auto& [gram, count] : ngram_counts(words, max_order)) {
      const int n = order_of(gram);
      stats.totals[n - 1] += count;
      auto it = reference_counts.find(gram);
      if (it != reference_counts.end()) stats.matches[n - 1] += std::min(count, it->second);  // clipped
    }
  }
  return bleu_from_statistics(stats, options, static_cast<int>(reference_sets.size()));
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const BleuOptions& options) {
  check(hypotheses.size() == references.size(), "corpus_bleu: {} hypotheses but {} references (need one each)",
        hypotheses.size(), references.size());
  return corpus_bleu_multi(hypotheses, {references}, options);
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  BleuOptions tokenised_text;
  tokenised_text.tokenize = Tokenize::none;
  tokenised_text.smoothing = Smoothing::none;
  return corpus_bleu(hypotheses, references, tokenised_text);
}

std::string BleuScore::details() const {
  std::string precision_text;
  for (size_t n = 0; n < precisions.size(); ++n) precision_text += fmt::format("{}{:.1f}", n ? "/" : "", precisions[n]);
  const double ratio = reference_length > 0 ? static_cast<double>(hypothesis_length) / reference_length : 0.0;
  return fmt::format("{} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})", precision_text, brevity_penalty,
                     ratio, hypothesis_length, reference_length);
}

std::string BleuScore::summary() const { return fmt::format("BLEU = {:.2f} {}", score, details()); }

std::string BleuScore::signed_summary() const {
  return fmt::format("BLEU|{} = {:.2f} {}", signature, score, details());
}

}  // namespace qkv::metrics
