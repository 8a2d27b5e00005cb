// bpe.cpp — BpeTokenizer: checking a list of merges, encoding words by merge rank (cached),
// decoding, and the text form (the algorithm is explained at the top of bpe.h).
#include "data/bpe.h"

#include <unordered_set>

#include "data/merge_ranks.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

constexpr std::string_view kHeader = "qkv-tokenizer bpe v1";
constexpr size_t kMaxCachedWords = 1 << 20;

bool ends_with_marker(std::string_view piece) { return piece.ends_with(kEndOfWord); }

// True if `piece` is exactly one valid UTF-8 character, optionally followed by "</w>".
bool is_single_character(std::string_view piece, bool marker_allowed) {
  if (piece.empty()) return false;
  const int n = utf8_char_length(piece, 0);
  if (n == 0) return false;
  if (static_cast<size_t>(n) == piece.size()) return true;
  return marker_allowed && piece.substr(n) == kEndOfWord;
}

}  // namespace

BpeTokenizer::BpeTokenizer(std::vector<BpeMerge> merges) : merges_(std::move(merges)) {
  std::unordered_set<std::string> made;  // pieces produced by earlier merges
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto& [left, right] = merges_[i];
    for (const std::string* piece : {&left, &right}) {
      check(!piece->empty(), "BpeTokenizer: merge {} has an empty piece", i + 1);
      check(first_invalid_utf8(*piece) == std::string_view::npos, "BpeTokenizer: merge {} ('{} {}') is not valid UTF-8",
            i + 1, left, right);
      for (char ch : *piece) check(!is_ascii_space(ch), "BpeTokenizer: merge {} has whitespace inside a piece", i + 1);
    }
    check(!ends_with_marker(left), "BpeTokenizer: merge {} ('{} {}'): the left piece ends a word ('{}')", i + 1, left,
          right, kEndOfWord);
    check(made.contains(left) || is_single_character(left, false),
          "BpeTokenizer: merge {} ('{} {}'): the left piece is neither one character nor made by an earlier merge",
          i + 1, left, right);
    check(made.contains(right) || is_single_character(right, true),
          "BpeTokenizer: merge {} ('{} {}'): the right piece is neither one character nor made by an earlier merge",
          i + 1, left, right);
    const bool fresh = ranks_.emplace(merge_rank_key(left, right), static_cast<int64_t>(i)).second;
    check(fresh, "BpeTokenizer: merge {} ('{} {}') repeats an earlier merge", i + 1, left, right);
    made.insert(left + right);
  }
}

std::vector<std::string> BpeTokenizer::apply_merges(std::string_view word) const {
  std::vector<std::string> symbols;
  size_t pos = 0;
  while (pos < word.size()) {
    const int n = std::max(1, utf8_char_length(word, pos));
    symbols.emplace_back(word.substr(pos, n));
    pos += n;
  }
  if (symbols.empty()) return symbols;
  symbols.back() += kEndOfWord;

  symbols = apply_merges_by_rank(std::move(symbols), ranks_, merges_);

  // A piece inside the word must not end in "</w>", or decode would end the word there; this
  // only happens when the word contains the text "</w>", and spelling the piece out fixes it.
  std::vector<std::string> pieces;
  pieces.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && ends_with_marker(symbols[i])) {
      const std::string& s = symbols[i];
      for (size_t p = 0; p < s.size();) {
        const int n = std::max(1, utf8_char_length(s, p));
        pieces.push_back(s.substr(p, n));
        p += n;
      }
    } else {
      pieces.push_back(std::move(symbols[i]));
    }
  }
  return pieces;
}

std::vector<std::string> BpeTokenizer::encode_word(std::string_view word) const {
  const std::string key(word);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  std::vector<std::string> pieces = apply_merges(word);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kMaxCachedWords) cache_.clear();  // a crude bound for endless inputs
  cache_.emplace(key, pieces);
  return pieces;
}

std::vector<std::string> BpeTokenizer::encode(std::string_view line) const {
  std::vector<std::string> pieces;
  for (std::string_view word : split_words(line)) {
    std::vector<std::string> p = encode_word(word);
    pieces.insert(pieces.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
  }
  return pieces;
}

std::string BpeTokenizer::decode(const std::vector<std::string>& pieces) const {
  std::string line;
  for (const std::string& piece : pieces) {
    if (ends_with_marker(piece)) {
      line.append(piece, 0, piece.size() - kEndOfWord.size());
      line.push_back(' ');
    } else {
      line.append(piece);
    }
  }
  if (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string BpeTokenizer::serialize() const {
  std::string text = fmt::format("{}\nmerges {}\n", kHeader, merges_.size());
  for (const auto& [left, right] : merges_) text.append(left).append(1, ' ').append(right).append(1, '\n');
  return text;
}

std::unique_ptr<Tokenizer> deserialize_bpe(std::string_view text) {
  // Lines, without the final newline.
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  check(!lines.empty() && lines[0] == kHeader, "deserialize_bpe: the first line must be '{}'", kHeader);
  check(lines.size() >= 2 && lines[1].starts_with("merges "), "deserialize_bpe: line 2 must be 'merges N'");
  const std::string_view count_text = lines[1].substr(7);
  int64_t count = 0;
  check(!count_text.empty() && count_text.size() <= 12 &&
            count_text.find_first_not_of("0123456789") == std::string_view::npos,
        "deserialize_bpe: line 2: '{}' is not a merge count", lines[1]);
  for (char ch : count_text) count = count * 10 + (ch - '0');
  check(static_cast<int64_t>(lines.size()) - 2 == count,
        "deserialize_bpe: the header says {} merges but {} lines follow", count, lines.size() - 2);
  std::vector<BpeMerge> merges;
  merges.reserve(count);
  for (size_t i = 2; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t space = line.find(' ');
    check(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
              line.find(' ', space + 1) == std::string_view::npos,
          "deserialize_bpe: line {}: expected two pieces separated by one space, got '{}'", i + 1, line);
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
  }
  return std::make_unique<BpeTokenizer>(std::move(merges));
}

}  // namespace qkv::data
