// bleu.cpp — corpus BLEU from clipped n-gram counts (the definition is in bleu.h).
#include "metrics/bleu.h"

#include <fmt/format.h>

#include <cmath>
#include <string_view>
#include <unordered_map>

#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::metrics {
namespace {

constexpr int kMaxOrder = 4;

// Words separated by runs of (Unicode) whitespace, as Python's str.split() finds them.
std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0, start = 0;
  bool in_word = false;
  while (pos < line.size()) {
    const size_t here = pos;
    const bool space = data::is_unicode_space(data::next_code_point(line, pos));
    if (space && in_word) words.push_back(line.substr(start, here - start));
    if (!space && !in_word) start = here;
    in_word = !space;
  }
  if (in_word) words.push_back(line.substr(start));
  return words;
}

// Counts of every n-gram of `words` for one n; an n-gram is its words joined by spaces
// (words contain no whitespace, so the joined text is unambiguous).
std::unordered_map<std::string, int64_t> ngram_counts(const std::vector<std::string_view>& words, int n) {
  std::unordered_map<std::string, int64_t> counts;
  for (size_t i = 0; i + n <= words.size(); ++i) {
    std::string gram(words[i]);
    for (int k = 1; k < n; ++k) gram.append(1, ' ').append(words[i + k]);
    ++counts[gram];
  }
  return counts;
}

}  // namespace

std::string BleuScore::summary() const {
  const double ratio = reference_length > 0 ? static_cast<double>(hypothesis_length) / reference_length : 0.0;
  return fmt::format("BLEU = {:.2f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
                     score, precisions[0], precisions[1], precisions[2], precisions[3], brevity_penalty, ratio,
                     hypothesis_length, reference_length);
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  check(hypotheses.size() == references.size(), "corpus_bleu: {} hypotheses but {} references (need one each)",
        hypotheses.size(), references.size());
  std::array<int64_t, kMaxOrder> matches{}, totals{};
  BleuScore result;
  for (size_t s = 0; s < hypotheses.size(); ++s) {
    const auto hyp = words_of(hypotheses[s]);
    const auto ref = words_of(references[s]);
    result.hypothesis_length += static_cast<int64_t>(hyp.size());
    result.reference_length += static_cast<int64_t>(ref.size());
    for (int n = 1; n <= kMaxOrder; ++n) {
      if (hyp.size() < static_cast<size_t>(n)) break;
      totals[n - 1] += static_cast<int64_t>(hyp.size()) - n + 1;
      if (ref.size() < static_cast<size_t>(n)) continue;
      const auto ref_counts = ngram_counts(ref, n);
      for (const auto& [gram, count] : ngram_counts(hyp, n)) {
        auto it = ref_counts.find(gram);
        if (it != ref_counts.end()) matches[n - 1] += std::min(count, it->second);  // clipped
      }
    }
  }
  const int64_t c = result.hypothesis_length, r = result.reference_length;
  result.brevity_penalty = c > r ? 1.0 : (c > 0 ? std::exp(1.0 - static_cast<double>(r) / c) : 0.0);
  bool any_zero = false;
  double log_sum = 0;
  for (int n = 0; n < kMaxOrder; ++n) {
    const double p = totals[n] > 0 ? static_cast<double>(matches[n]) / totals[n] : 0.0;
    result.precisions[n] = 100.0 * p;
    if (p == 0)
      any_zero = true;
    else
      log_sum += std::log(p);
  }
  result.score = any_zero ? 0.0 : 100.0 * result.brevity_penalty * std::exp(log_sum / kMaxOrder);
  return result;
}

}  // namespace qkv::metrics
