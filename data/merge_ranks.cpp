// merge_ranks.cpp — encoding by merge rank (see merge_ranks.h).
#include "data/merge_ranks.h"

#include <algorithm>

#include "data/utf8.h"

namespace qkv::data {

std::vector<std::string> split_characters(std::string_view text) {
  std::vector<std::string> chars;
  for (size_t pos = 0; pos < text.size();) {
    const int n = std::max(1, utf8_char_length(text, pos));
    chars.emplace_back(text.substr(pos, n));
    pos += n;
  }
  return chars;
}

std::string merge_rank_key(std::string_view left, std::string_view right) {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left).append(1, '\n').append(right);
  return key;
}

std::vector<std::string> apply_merges_by_rank(std::vector<std::string> symbols, const MergeRanks& ranks,
                                              const std::vector<BpeMerge>& merges) {
  while (symbols.size() > 1) {
    int64_t best_rank = -1;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = ranks.find(merge_rank_key(symbols[i], symbols[i + 1]));
      if (it != ranks.end() && (best_rank < 0 || it->second < best_rank)) best_rank = it->second;
    }
    if (best_rank < 0) break;
    const auto& [left, right] = merges[best_rank];
    std::vector<std::string> merged;
    merged.reserve(symbols.size());
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        merged.push_back(symbols[i] + symbols[i + 1]);
        ++i;
      } else {
        merged.push_back(std::move(symbols[i]));
      }
    }
    symbols = std::move(merged);
  }
  return symbols;
}

}  // namespace qkv::data
