// chrf.cpp — corpus chrF from character n-gram statistics (the definition is in chrf.h).
#include "metrics/chrf.h"

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::metrics {
namespace {

// The code points of `line` with every whitespace character removed.
std::u32string characters_without_space(std::string_view line) {
  std::u32string out;
  size_t pos = 0;
  while (pos < line.size()) {
    const char32_t c = data::next_code_point(line, pos);
    if (!data::is_unicode_space(c)) out.push_back(c);
  }
  return out;
}

std::unordered_map<std::u32string_view, int64_t> ngram_counts(const std::u32string& chars, int n) {
  std::unordered_map<std::u32string_view, int64_t> counts;
  const std::u32string_view view(chars);
  for (size_t i = 0; i + n <= chars.size(); ++i) ++counts[view.substr(i, n)];
  return counts;
}

}  // namespace

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      int char_order, double beta) {
  check(hypotheses.size() == references.size(), "corpus_chrf: {} hypotheses but {} references (need one each)",
        hypotheses.size(), references.size());
  check(char_order >= 1, "corpus_chrf: char_order must be >= 1, got {}", char_order);
  check(beta > 0, "corpus_chrf: beta must be positive, got {}", beta);
  std::vector<int64_t> hyp_total(char_order, 0), ref_total(char_order, 0), match_total(char_order, 0);
  for (size_t s = 0; s < hypotheses.size(); ++s) {
    const std::u32string hyp = characters_without_space(hypotheses[s]);
    const std::u32string ref = characters_without_space(references[s]);
    for (int n = 1; n <= char_order; ++n) {
      if (hyp.size() >= static_cast<size_t>(n)) hyp_total[n - 1] += static_cast<int64_t>(hyp.size()) - n + 1;
      if (ref.size() >= static_cast<size_t>(n)) ref_total[n - 1] += static_cast<int64_t>(ref.size()) - n + 1;
      if (hyp.size() < static_cast<size_t>(n) || ref.size() < static_cast<size_t>(n)) continue;
      const auto ref_counts = ngram_counts(ref, n);
      for (const auto& [gram, count] : ngram_counts(hyp, n)) {
        auto it = ref_counts.find(gram);
        if (it != ref_counts.end()) match_total[n - 1] += std::min(count, it->second);
      }
    }
  }
  double precision = 0, recall = 0;
  int effective_order = 0;
  for (int n = 0; n < char_order; ++n) {
    if (hyp_total[n] == 0 || ref_total[n] == 0) continue;
    precision += static_cast<double>(match_total[n]) / hyp_total[n];
    recall += static_cast<double>(match_total[n]) / ref_total[n];
    ++effective_order;
  }
  ChrfScore result;
  if (effective_order == 0) return result;
  precision /= effective_order;
  recall /= effective_order;
  result.precision = 100.0 * precision;
  result.recall = 100.0 * recall;
  if (precision + recall > 0) {
    const double b2 = beta * beta;
    result.score = 100.0 * (1 + b2) * precision * recall / (b2 * precision + recall);
  }
  return result;
}

}  // namespace qkv::metrics
