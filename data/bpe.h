// bpe.h — byte-pair encoding (Sennrich, Haddow and Birch 2016): subword pieces learned from a
// corpus, so that frequent words stay whole, rare words split into known parts, and no word
// is ever out of vocabulary.
//
// How it learns (learn_bpe):
//   1. Split every line on whitespace and count each distinct word once: Multi30k's 29,000
//      English lines hold 377k words but only ~10k distinct ones, and all the work below is
//      per distinct word, weighted by its count.
//   2. Spell each word as a sequence of symbols, one per UTF-8 character, and glue the
//      end-of-word marker "</w>" onto the last one: "low" is  l  o  w</w>.
//   3. Count every pair of adjacent symbols over all words (a pair in a word seen 7 times
//      counts 7). Take the most frequent pair, say (o, w</w>), and record the merge
//      "o w</w>": every occurrence of the two symbols becomes one symbol "ow</w>".
//   4. Repeat step 3 num_merges times, or until no pair occurs at least twice.
//   The merges, in the order they were learned, are the whole model.
//
// What makes it fast: pair counts are kept in a hash map and changed incrementally. A merge
// only touches the words that contain the pair (an index from pair to words says which), and
// for each such word we subtract the counts of its old pairs and add those of its new pairs.
// The most frequent pair comes from a max-heap with lazy deletion: every changed count pushes
// a fresh entry, and a popped entry whose count is out of date is skipped. Ties are broken by
// the pair's text, (left, right) in byte order, so the merges depend only on the word counts.
//
// How it encodes (encode): split the line into words; spell each word as in step 2; then
// repeatedly find the adjacent pair whose merge was learned earliest (lowest rank) and merge
// all its occurrences, until no adjacent pair has a merge. Characters never seen in training
// stay single-character pieces (the Vocab maps them to <unk>). Results are cached per word.
//
// Pieces: a piece that ends a word carries the suffix "</w>"; pieces inside a word carry
// nothing. "lower ." might encode to {"low", "er</w>", ".</w>"}. decode concatenates pieces,
// turning each "</w>" into a space, so decode(encode(x)) == x for whitespace-normalised x.
// (A word that itself contains the text "</w>" is still exact: encode spells out, character
// by character, any piece inside a word that would otherwise end in "</w>".)
//
// Serialized form (stored in checkpoints):
//   qkv-tokenizer bpe v1
//   merges 2
//   o w</w>
//   l ow</w>
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace qkv::data {

inline constexpr std::string_view kEndOfWord = "</w>";

// One learned merge: the pieces (left, right) become the piece left + right.
using BpeMerge = std::pair<std::string, std::string>;

class BpeTokenizer final : public Tokenizer {
 public:
  // Checks that the merges form a valid model (see deserialize_bpe) and throws if not.
  explicit BpeTokenizer(std::vector<BpeMerge> merges);

  std::vector<std::string> encode(std::string_view line) const override;
  std::string decode(const std::vector<std::string>& pieces) const override;
  std::string name() const override { return "bpe"; }
  std::string serialize() const override;

  // The pieces of one word (no whitespace inside).
  std::vector<std::string> encode_word(std::string_view word) const;
  const std::vector<BpeMerge>& merges() const { return merges_; }

 private:
  std::vector<std::string> apply_merges(std::string_view word) const;

  std::vector<BpeMerge> merges_;
  std::unordered_map<std::string, int64_t> ranks_;  // "left\nright" -> position in merges_
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache_;  // word -> pieces
};

// Learns up to num_merges merges from the whitespace-split words of `lines`, stopping early
// when no pair of symbols occurs at least min_pair_count times.
std::vector<BpeMerge> learn_bpe_merges(const std::vector<std::string>& lines, int64_t num_merges,
                                       int64_t min_pair_count = 2);

// learn_bpe_merges with min_pair_count 2, wrapped in a BpeTokenizer.
std::unique_ptr<Tokenizer> learn_bpe(const std::vector<std::string>& lines, int64_t num_merges);

// Parses BpeTokenizer::serialize()'s text. Throws qkv::Error on a wrong header or count, a
// line that is not two pieces separated by one space, invalid UTF-8, a left piece ending in
// "</w>", a piece that is neither one character (plus "</w>" on the right) nor the result of
// an earlier merge, or a repeated merge.
std::unique_ptr<Tokenizer> deserialize_bpe(std::string_view text);

}  // namespace qkv::data
