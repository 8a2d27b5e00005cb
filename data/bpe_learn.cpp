// bpe_learn.cpp — learning BPE merges with incremental pair counts and a lazy max-heap (the
// algorithm is explained at the top of bpe.h), and learn_bpe's whitespace words.
#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "data/bpe.h"
#include "data/bpe_merge_learner.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

using SymbolId = int32_t;
using PairKey = uint64_t;  // (left << 32) | right

PairKey pair_key(SymbolId a, SymbolId b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }
SymbolId left_of(PairKey k) { return static_cast<SymbolId>(k >> 32); }
SymbolId right_of(PairKey k) { return static_cast<SymbolId>(k & 0xFFFFFFFFu); }

// Symbol strings and their ids; equal strings share one id.
class SymbolTable {
 public:
  SymbolId intern(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, static_cast<SymbolId>(names_.size()));
    if (inserted) names_.push_back(s);
    return it->second;
  }
  const std::string& name(SymbolId id) const { return names_[id]; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, SymbolId> ids_;
};

struct Word {
  std::vector<SymbolId> symbols;
  int64_t count = 0;
};

// One heap entry: a pair and the count it had when pushed.
struct Candidate {
  int64_t count;
  PairKey pair;
};

// Spells a word as one symbol per UTF-8 character, "</w>" glued to the last one. Invalid
// bytes become one-byte symbols, so learning never fails on odd input.
std::vector<std::string> spell(std::string_view word) {
  std::vector<std::string> chars;
  size_t pos = 0;
  while (pos < word.size()) {
    const int n = std::max(1, utf8_char_length(word, pos));
    chars.emplace_back(word.substr(pos, n));
    pos += n;
  }
  if (!chars.empty()) chars.back() += kEndOfWord;
  return chars;
}

// Replaces every non-overlapping (a, b), scanning left to right, with c.
std::vector<SymbolId> merge_pair(const std::vector<SymbolId>& symbols, SymbolId a, SymbolId b, SymbolId c) {
  std::vector<SymbolId> out;
  out.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
      out.push_back(c);
      ++i;
    } else {
      out.push_back(symbols[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<BpeMerge> learn_merges(const std::vector<SpelledWord>& spelled, int64_t num_merges, int64_t min_pair_count,
                                   const std::function<bool(std::string_view merged)>& may_create) {
  check(num_merges >= 0, "learn_bpe: num_merges must be >= 0, got {}", num_merges);
  check(min_pair_count >= 1, "learn_bpe: min_pair_count must be >= 1, got {}", min_pair_count);
  SymbolTable table;
  std::vector<Word> words;
  words.reserve(spelled.size());
  for (const SpelledWord& s : spelled) {
    Word w;
    w.count = s.count;
    for (const std::string& ch : s.symbols) w.symbols.push_back(table.intern(ch));
    words.push_back(std::move(w));
  }

  // 3. Pair counts, and which words contain each pair (an over-approximation: a word stays
  // listed after it loses the pair, and is skipped when visited).
  std::unordered_map<PairKey, int64_t> pair_counts;
  std::unordered_map<PairKey, std::vector<int32_t>> pair_words;
  for (size_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const PairKey k = pair_key(s[i], s[i + 1]);
      pair_counts[k] += words[w].count;
      auto& list = pair_words[k];
      if (list.empty() || list.back() != static_cast<int32_t>(w)) list.push_back(static_cast<int32_t>(w));
    }
  }

  // The heap's top is the highest count; among equal counts, the smallest (left, right) text.
  auto worse = [&table](const Candidate& x, const Candidate& y) {
    if (x.count != y.count) return x.count < y.count;
    const std::string& xl = table.name(left_of(x.pair));
    const std::string& yl = table.name(left_of(y.pair));
    if (xl != yl) return xl > yl;
    return table.name(right_of(x.pair)) > table.name(right_of(y.pair));
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> heap(worse);
  for (const auto& [k, count] : pair_counts) heap.push({count, k});

  std::vector<BpeMerge> merges;
  std::vector<int64_t> visited(words.size(), -1);  // the merge step that last rewrote each word
  std::unordered_map<PairKey, int64_t> delta;
  std::unordered_set<PairKey> refused;  // pairs may_create refused
  while (static_cast<int64_t>(merges.size()) < num_merges) {
    // Pop until an entry is current.
    while (!heap.empty()) {
      const Candidate top = heap.top();
      auto it = pair_counts.find(top.pair);
      if (it != pair_counts.end() && it->second == top.count) break;
      heap.pop();
    }
    if (heap.empty() || heap.top().count < min_pair_count) break;
    const PairKey best = heap.top().pair;
    heap.pop();
    const SymbolId a = left_of(best), b = right_of(best);
    if (may_create && (refused.contains(best) || !may_create(table.name(a) + table.name(b)))) {
      refused.insert(best);
      continue;
    }
    const SymbolId c = table.intern(table.name(a) + table.name(b));
    const int64_t step = static_cast<int64_t>(merges.size());
    merges.emplace_back(table.name(a), table.name(b));

    // 4. Rewrite the words that contain (a, b), collecting the change of every pair count.
    delta.clear();
    const std::vector<int32_t> candidates = std::move(pair_words[best]);
    pair_words.erase(best);
    for (int32_t w : candidates) {
      if (visited[w] == step) continue;
      visited[w] = step;
      Word& word = words[w];
      std::vector<SymbolId> merged = merge_pair(word.symbols, a, b, c);
      if (merged.size() == word.symbols.size()) continue;  // the word no longer holds the pair
      for (size_t i = 0; i + 1 < word.symbols.size(); ++i)
        delta[pair_key(word.symbols[i], word.symbols[i + 1])] -= word.count;
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        const PairKey k = pair_key(merged[i], merged[i + 1]);
        delta[k] += word.count;
        if (merged[i] == c || merged[i + 1] == c) {
          auto& list = pair_words[k];
          if (list.empty() || list.back() != w) list.push_back(w);
        }
      }
      word.symbols = std::move(merged);
    }
    for (const auto& [k, d] : delta) {
      if (d == 0) continue;
      int64_t& count = pair_counts[k];
      count += d;
      if (count > 0) {
        heap.push({count, k});
      } else {
        pair_counts.erase(k);
      }
    }
  }
  return merges;
}

std::vector<BpeMerge> learn_bpe_merges(const std::vector<std::string>& lines, int64_t num_merges,
                                       int64_t min_pair_count) {
  check(num_merges >= 0, "learn_bpe: num_merges must be >= 0, got {}", num_merges);
  check(min_pair_count >= 1, "learn_bpe: min_pair_count must be >= 1, got {}", min_pair_count);
  // 1. Distinct words and their counts, in sorted order so that everything below is
  // reproducible regardless of hash-map iteration order.
  std::unordered_map<std::string_view, int64_t> word_counts;
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t bad = first_invalid_utf8(lines[i]);
    check(bad == std::string_view::npos, "learn_bpe: line {} is not valid UTF-8 (byte offset {})", i + 1, bad);
  }
  for (const std::string& line : lines)
    for (std::string_view w : split_words(line)) ++word_counts[w];
  std::vector<std::pair<std::string_view, int64_t>> sorted_words(word_counts.begin(), word_counts.end());
  std::sort(sorted_words.begin(), sorted_words.end());

  // 2. Spell every word as symbols; 3. and 4. are learn_merges.
  std::vector<SpelledWord> words;
  words.reserve(sorted_words.size());
  for (const auto& [text, count] : sorted_words) words.push_back({spell(text), count});
  return learn_merges(words, num_merges, min_pair_count);
}

std::unique_ptr<Tokenizer> learn_bpe(const std::vector<std::string>& lines, int64_t num_merges) {
  return std::make_unique<BpeTokenizer>(learn_bpe_merges(lines, num_merges, 2));
}

}  // namespace qkv::data
