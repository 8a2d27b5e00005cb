// merge_ranks.h — how both BPE tokenizers (bpe.h, raw_bpe.h) encode with learned merges:
// repeatedly merge the adjacent pair whose merge was learned earliest (lowest rank), all its
// occurrences at once, until no adjacent pair has a merge.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/bpe.h"

namespace qkv::data {

// "left\nright" -> the merge's position in the list ('\n' never occurs inside a piece).
using MergeRanks = std::unordered_map<std::string, int64_t>;

// One string per UTF-8 character of `text` (an invalid byte is a string of its own): the
// symbols a word starts as.
std::vector<std::string> split_characters(std::string_view text);

std::string merge_rank_key(std::string_view left, std::string_view right);

// The symbols after every applicable merge, by rank; `merges[rank]` is the merge of that rank.
std::vector<std::string> apply_merges_by_rank(std::vector<std::string> symbols, const MergeRanks& ranks,
                                              const std::vector<BpeMerge>& merges);

}  // namespace qkv::data
