// bpe_merge_learner.h — the merge-learning loop both BPE learners share (data/bpe.h for the
// algorithm): given distinct "words" already spelled as symbols, with their counts, learn merges.
// learn_bpe_merges (whitespace words, "</w>" markers) and learn_raw_bpe (SentencePiece-style
// words that start with "▁", data/raw_bpe.h) differ only in how they spell words.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data/bpe.h"

namespace qkv::data {

struct SpelledWord {
  std::vector<std::string> symbols;  // one per character at the start
  int64_t count = 0;                 // how often the word occurs
};

// Up to num_merges merges, most frequent pair first (ties: the smaller (left, right) text),
// stopping when no pair occurs min_pair_count times. A pair whose merged text may_create
// refuses is never merged (an empty function allows every pair). `words` should be in a fixed
// order (learners sort them) so that the result never depends on hash-map order.
std::vector<BpeMerge> learn_merges(const std::vector<SpelledWord>& words, int64_t num_merges, int64_t min_pair_count,
                                   const std::function<bool(std::string_view merged)>& may_create = {});

}  // namespace qkv::data
