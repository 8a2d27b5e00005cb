// raw_bpe.h — qkv's lossless subword model for raw text ("rawbpe"): SentencePiece's design with
// the BPE learner of bpe.h. No pre-tokenisation, whitespace kept as a visible symbol, and byte
// fallback, so that decode(encode(x)) == x for every valid UTF-8 line x, byte for byte: case,
// punctuation, runs of spaces, leading and trailing spaces, tabs, characters never seen.
// No normalisation is applied.
//
//   auto tok = learn_raw_bpe(lines, {.vocab_size = 8000, .min_char_count = 2});
//   tok->encode("A man  rides.");   // {"A", "▁man", "▁", "▁rid", "es", "."}   (for example)
//   tok->encode("日");              // {"<0xE6>", "<0x97>", "<0xA5>"}  if 日 was never seen
//   tok->decode(tok->encode(x));    // == x
//
// How a line becomes pieces:
//   1. Every space (U+0020) is the symbol "▁" (U+2581), and starts a new word: "A man  rides."
//      is the words  A  ▁man  ▁  ▁rides.  (SentencePiece's split_by_whitespace; a piece never
//      spans two words, and the "▁" is glued to the front of the word it begins).
//   2. A character of the alphabet (those seen at least min_char_count times in training, "▁"
//      standing for the space) is a symbol. Any other character (and any byte that is not
//      valid UTF-8) is spelled as its UTF-8 bytes, one "<0xNN>" piece each (byte_pieces.h),
//      and ends the run of symbols around it. A literal "▁" in the text is never in the
//      alphabet: it is always spelled in bytes, so it cannot be confused with a space.
//   3. Each run of symbols is merged by rank with the learned merges (merge_ranks.h).
// decode concatenates the pieces, a byte piece as its byte and "▁" as a space. Byte pieces that
// do not form valid UTF-8 (a model can emit them in any order) decode to U+FFFD.
//
// How it learns (learn_raw_bpe): count the characters (step 2's alphabet), split every line
// into words as in steps 1-2, count the distinct words, and learn merges over them exactly as
// learn_bpe_merges does (bpe.h), except that no merge may make a reserved piece (a byte piece
// or a special such as "<unk>"). vocab_size fixes the number of merges: the vocabulary is the
// 4 specials + 256 byte pieces + the alphabet + one piece per merge, so
// merges = vocab_size - 260 - alphabet size (two merges can spell the same piece, so the
// vocabulary may come out a little smaller than vocab_size, never larger).
//
// Serialized form (stored in checkpoints): the alphabet, one character per line, then the
// merges as in bpe.h:
//   qkv-tokenizer rawbpe v1
//   alphabet 3
//   a
//   n
//   ▁
//   merges 1
//   ▁ a
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "data/bpe.h"
#include "data/tokenizer.h"

namespace qkv::data {

inline constexpr std::string_view kSpaceSymbol = "\u2581";  // "▁", stands for U+0020

// A set of characters that string_views can be looked up in without a copy.
struct CharHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CharSet = std::unordered_set<std::string, CharHash, std::equal_to<>>;

class RawBpeTokenizer final : public Tokenizer {
 public:
  // Throws qkv::Error if the alphabet or the merges are not a valid model (see deserialize_raw_bpe).
  RawBpeTokenizer(std::vector<std::string> alphabet, std::vector<BpeMerge> merges);

  std::vector<std::string> encode(std::string_view line) const override;
  std::string decode(const std::vector<std::string>& pieces) const override;
  std::string name() const override { return "rawbpe"; }
  std::string serialize() const override;
  // The 256 byte pieces, the alphabet and every merged piece.
  std::vector<std::string> inventory() const override;

  const std::vector<std::string>& alphabet() const { return alphabet_; }
  const std::vector<BpeMerge>& merges() const { return merges_; }

 private:
  std::vector<std::string> encode_word(const std::string& symbols) const;  // cached

  std::vector<std::string> alphabet_;
  CharSet in_alphabet_;
  std::vector<BpeMerge> merges_;
  std::unordered_map<std::string, int64_t> ranks_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache_;
};

struct RawBpeOptions {
  int64_t vocab_size = 8000;   // the vocabulary it aims at, specials and byte pieces included
  int64_t min_char_count = 2;  // rarer characters are not in the alphabet (spelled in bytes)
};

// Learns a model from training lines (valid UTF-8, checked; the error names the line).
std::unique_ptr<RawBpeTokenizer> learn_raw_bpe(const std::vector<std::string>& lines, const RawBpeOptions& options);

// Parses RawBpeTokenizer::serialize()'s text. Throws qkv::Error on a wrong header or count, an
// alphabet entry that is not one valid UTF-8 character (or is a space, '\n' or repeated), a merge
// line that is not two pieces separated by one space, a piece that is neither in the alphabet
// nor made by an earlier merge, a merge that makes a reserved piece, or a repeated merge.
std::unique_ptr<Tokenizer> deserialize_raw_bpe(std::string_view text);

// Step 1-2 above: the runs of alphabet symbols (words; a space is "▁" and starts one) and the
// characters outside the alphabet (is_bytes: their raw bytes), in line order.
struct RawSegment {
  std::string text;
  bool is_bytes = false;
};
std::vector<RawSegment> raw_segments(std::string_view line, const CharSet& alphabet);

}  // namespace qkv::data
