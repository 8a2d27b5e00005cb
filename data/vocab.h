// vocab.h — Vocab: the mapping between pieces (strings) and the integer ids a model sees.
//
//   Vocab v = Vocab::build(tokenized_sentences, /*min_freq=*/2);
//   v.encode({"a", "dog", "zyzzyva"});   // {7, 112, 1}: an unknown piece becomes kUnk
//   v.decode({2, 7, 112, 3, 0, 0});      // {"a", "dog"}: bos and pad dropped, stops at eos
//
// Ids 0..3 are always the specials <pad> <unk> <bos> <eos>; the other pieces follow by
// frequency, most frequent first, ties in byte order of the piece, so the same sentences give
// the same ids everywhere. The serialized form is the tokens one per line, line i holding id i.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qkv::data {

class Vocab {
 public:
  static constexpr int64_t kPad = 0, kUnk = 1, kBos = 2, kEos = 3;  // "<pad>" "<unk>" "<bos>" "<eos>"

  // Only the four specials (so a Vocab can be a member that is filled in later).
  Vocab();

  // Keeps pieces seen at least min_freq (>= 1) times, sorted by frequency desc, then piece asc;
  // max_size counts the specials (0 = no cap, else at least 4). A piece spelled like a special
  // ("<unk>") is not added again: it maps to the special. Pieces must be non-empty and must not
  // contain '\n' (the serialized form is one piece per line).
  static Vocab build(const std::vector<std::vector<std::string>>& sentences, int64_t min_freq, int64_t max_size = 0);
  // The same from each piece's count (a corpus too large to hold tokenised counts as it streams).
  static Vocab from_counts(const std::unordered_map<std::string, int64_t>& counts, int64_t min_freq,
                           int64_t max_size = 0);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t id(std::string_view token) const;    // kUnk if absent
  const std::string& token(int64_t id) const;  // throws naming id and size if out of range
  std::vector<int64_t> encode(const std::vector<std::string>& pieces) const;  // no bos/eos added
  std::vector<std::string> decode(const std::vector<int64_t>& ids) const;  // stops at the first eos, drops pad and bos
  std::string serialize() const;                                           // text, one token per line
  static Vocab deserialize(std::string_view text);  // throws qkv::Error on corrupt text (missing specials, duplicates)

 private:
  // Transparent hashing lets id() look up a string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  explicit Vocab(std::vector<std::string> tokens);  // checks specials, duplicates, empty and '\n'

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> ids_;
};

}  // namespace qkv::data
