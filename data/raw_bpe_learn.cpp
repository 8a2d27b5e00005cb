// raw_bpe_learn.cpp — learning a raw-text BPE model: the alphabet from character counts, words
// that start at each space, and the shared merge learner (the design is at the top of raw_bpe.h).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "data/bpe_merge_learner.h"
#include "data/byte_pieces.h"
#include "data/merge_ranks.h"
#include "data/raw_bpe.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

constexpr int64_t kSpecialsAndBytes = 4 + 256;

// Characters seen at least min_count times, a space counted as "▁"; never a literal "▁" or '\n'.
std::vector<std::string> learn_alphabet(const std::vector<std::string>& lines, int64_t min_count) {
  std::map<std::string, int64_t, std::less<>> counts;  // sorted: the alphabet's order is fixed
  for (const std::string& line : lines) {
    for (size_t pos = 0; pos < line.size();) {
      const int n = utf8_char_length(line, pos);
      const std::string_view ch = std::string_view(line).substr(pos, n);
      pos += n;
      if (ch == kSpaceSymbol || ch == "\n") continue;
      auto it = counts.find(ch == " " ? kSpaceSymbol : ch);
      if (it == counts.end()) it = counts.emplace(std::string(ch == " " ? kSpaceSymbol : ch), 0).first;
      ++it->second;
    }
  }
  std::vector<std::string> alphabet;
  for (const auto& [ch, count] : counts)
    if (count >= min_count) alphabet.push_back(ch);
  return alphabet;
}

}  // namespace

std::unique_ptr<RawBpeTokenizer> learn_raw_bpe(const std::vector<std::string>& lines, const RawBpeOptions& options) {
  check(options.min_char_count >= 1, "learn_raw_bpe: min_char_count must be >= 1, got {}", options.min_char_count);
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t bad = first_invalid_utf8(lines[i]);
    check(bad == std::string_view::npos, "learn_raw_bpe: line {} is not valid UTF-8 (byte offset {})", i + 1, bad);
  }
  std::vector<std::string> alphabet = learn_alphabet(lines, options.min_char_count);
  const int64_t base = kSpecialsAndBytes + static_cast<int64_t>(alphabet.size());
  check(options.vocab_size > base,
        "learn_raw_bpe: a vocabulary of {} leaves no room for merges: it holds the 4 specials, the 256 byte pieces "
        "and the {} characters seen at least {} times; ask for more than {}",
        options.vocab_size, alphabet.size(), options.min_char_count, base);

  // Distinct words and their counts, sorted so that the merges never depend on hash order.
  const CharSet in_alphabet(alphabet.begin(), alphabet.end());
  std::unordered_map<std::string, int64_t> word_counts;
  for (const std::string& line : lines)
    for (RawSegment& segment : raw_segments(line, in_alphabet))
      if (!segment.is_bytes) ++word_counts[std::move(segment.text)];
  std::vector<std::pair<std::string, int64_t>> sorted(word_counts.begin(), word_counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<SpelledWord> words;
  words.reserve(sorted.size());
  for (const auto& [text, count] : sorted) words.push_back({split_characters(text), count});

  std::vector<BpeMerge> merges = learn_merges(words, options.vocab_size - base, /*min_pair_count=*/2,
                                              [](std::string_view merged) { return !is_reserved_piece(merged); });
  return std::make_unique<RawBpeTokenizer>(std::move(alphabet), std::move(merges));
}

}  // namespace qkv::data
