// raw_bpe.cpp — RawBpeTokenizer: checking a model, encoding a raw line (words, byte fallback,
// merges by rank), decoding, and the text form (the design is explained at the top of raw_bpe.h).
#include "data/raw_bpe.h"

#include "data/byte_pieces.h"
#include "data/merge_ranks.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

constexpr std::string_view kHeader = "qkv-tokenizer rawbpe v1";
constexpr size_t kMaxCachedWords = 1 << 20;

// True if `piece` is one or more alphabet characters.
bool spelled_in(std::string_view piece, const CharSet& alphabet) {
  if (piece.empty() || first_invalid_utf8(piece) != std::string_view::npos) return false;
  for (size_t pos = 0; pos < piece.size();) {
    const int n = utf8_char_length(piece, pos);
    if (!alphabet.contains(piece.substr(pos, n))) return false;
    pos += n;
  }
  return true;
}

int64_t parse_count(std::string_view line, std::string_view word, int64_t line_number) {
  check(line.starts_with(word) && line.size() > word.size() + 1 && line[word.size()] == ' ',
        "deserialize_raw_bpe: line {} must be '{} N', got '{}'", line_number, word, line.substr(0, 80));
  const std::string_view digits = line.substr(word.size() + 1);
  check(digits.size() <= 12 && digits.find_first_not_of("0123456789") == std::string_view::npos,
        "deserialize_raw_bpe: line {}: '{}' is not a count", line_number, line.substr(0, 80));
  int64_t count = 0;
  for (char ch : digits) count = count * 10 + (ch - '0');
  return count;
}

}  // namespace

std::vector<RawSegment> raw_segments(std::string_view line, const CharSet& alphabet) {
  std::vector<RawSegment> segments;
  auto word = [&segments]() -> std::string& {
    if (segments.empty() || segments.back().is_bytes) segments.push_back({});
    return segments.back().text;
  };
  for (size_t pos = 0; pos < line.size();) {
    const int n = utf8_char_length(line, pos);
    const std::string_view ch = line.substr(pos, std::max(1, n));
    pos += ch.size();
    if (ch == " " && alphabet.contains(kSpaceSymbol)) {
      segments.push_back({std::string(kSpaceSymbol), false});  // a space starts a new word
    } else if (n > 0 && ch != " " && ch != kSpaceSymbol && alphabet.contains(ch)) {
      word().append(ch);
    } else if (!segments.empty() && segments.back().is_bytes) {
      segments.back().text.append(ch);
    } else {
      segments.push_back({std::string(ch), true});
    }
  }
  return segments;
}

RawBpeTokenizer::RawBpeTokenizer(std::vector<std::string> alphabet, std::vector<BpeMerge> merges)
    : alphabet_(std::move(alphabet)), merges_(std::move(merges)) {
  for (size_t i = 0; i < alphabet_.size(); ++i) {
    const std::string& ch = alphabet_[i];
    check(!ch.empty() && utf8_char_length(ch, 0) == static_cast<int>(ch.size()),
          "RawBpeTokenizer: alphabet entry {} ('{}') is not one valid UTF-8 character", i + 1, ch);
    check(ch != " " && ch != "\n", "RawBpeTokenizer: alphabet entry {} is a space or a newline (a space is '{}')",
          i + 1, kSpaceSymbol);
    check(in_alphabet_.insert(ch).second, "RawBpeTokenizer: alphabet entry {} ('{}') repeats an earlier one", i + 1,
          ch);
  }
  std::unordered_set<std::string> made;  // pieces produced by earlier merges
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto& [left, right] = merges_[i];
    for (const std::string* piece : {&left, &right}) {
      check(made.contains(*piece) || spelled_in(*piece, in_alphabet_),
            "RawBpeTokenizer: merge {} ('{} {}'): '{}' is neither an alphabet character nor made by an earlier merge",
            i + 1, left, right, *piece);
    }
    check(!is_reserved_piece(left + right), "RawBpeTokenizer: merge {} ('{} {}') makes the reserved piece '{}'", i + 1,
          left, right, left + right);
    const bool fresh = ranks_.emplace(merge_rank_key(left, right), static_cast<int64_t>(i)).second;
    check(fresh, "RawBpeTokenizer: merge {} ('{} {}') repeats an earlier merge", i + 1, left, right);
    made.insert(left + right);
  }
}

std::vector<std::string> RawBpeTokenizer::encode_word(const std::string& symbols) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(symbols);
    if (it != cache_.end()) return it->second;
  }
  std::vector<std::string> pieces = apply_merges_by_rank(split_characters(symbols), ranks_, merges_);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kMaxCachedWords) cache_.clear();  // a crude bound for endless inputs
  cache_.emplace(symbols, pieces);
  return pieces;
}

std::vector<std::string> RawBpeTokenizer::encode(std::string_view line) const {
  std::vector<std::string> pieces;
  for (const RawSegment& segment : raw_segments(line, in_alphabet_)) {
    if (segment.is_bytes) {
      for (char byte : segment.text) pieces.push_back(byte_piece(static_cast<unsigned char>(byte)));
    } else {
      std::vector<std::string> p = encode_word(segment.text);
      pieces.insert(pieces.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
    }
  }
  return pieces;
}

std::string RawBpeTokenizer::decode(const std::vector<std::string>& pieces) const {
  std::string line, bytes;
  for (const std::string& piece : pieces) {
    if (const auto byte = parse_byte_piece(piece)) {
      bytes.push_back(static_cast<char>(*byte));
      continue;
    }
    append_bytes_as_utf8(bytes, line);
    bytes.clear();
    for (size_t pos = 0; pos < piece.size();) {
      if (piece.compare(pos, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
        line.push_back(' ');
        pos += kSpaceSymbol.size();
      } else {
        line.push_back(piece[pos++]);
      }
    }
  }
  append_bytes_as_utf8(bytes, line);
  return line;
}

std::vector<std::string> RawBpeTokenizer::inventory() const {
  std::vector<std::string> pieces = all_byte_pieces();
  std::unordered_set<std::string> seen(pieces.begin(), pieces.end());
  for (const std::string& ch : alphabet_)
    if (seen.insert(ch).second) pieces.push_back(ch);
  for (const auto& [left, right] : merges_)
    if (seen.insert(left + right).second) pieces.push_back(left + right);
  return pieces;
}

std::string RawBpeTokenizer::serialize() const {
  std::string text = fmt::format("{}\nalphabet {}\n", kHeader, alphabet_.size());
  for (const std::string& ch : alphabet_) text.append(ch).append(1, '\n');
  text += fmt::format("merges {}\n", merges_.size());
  for (const auto& [left, right] : merges_) text.append(left).append(1, ' ').append(right).append(1, '\n');
  return text;
}

std::unique_ptr<Tokenizer> deserialize_raw_bpe(std::string_view text) {
  std::vector<std::string_view> lines;  // without the final newline
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  check(!lines.empty() && lines[0] == kHeader, "deserialize_raw_bpe: the first line must be '{}'", kHeader);
  check(lines.size() >= 2, "deserialize_raw_bpe: line 2 must be 'alphabet N'");
  const int64_t letters = parse_count(lines[1], "alphabet", 2);
  const size_t merges_line = 2 + static_cast<size_t>(letters);
  check(lines.size() > merges_line,
        "deserialize_raw_bpe: the header says {} alphabet characters but the text ends "
        "before the 'merges N' line",
        letters);
  const int64_t count = parse_count(lines[merges_line], "merges", static_cast<int64_t>(merges_line) + 1);
  check(static_cast<int64_t>(lines.size() - merges_line - 1) == count,
        "deserialize_raw_bpe: the header says {} merges but {} lines follow", count, lines.size() - merges_line - 1);
  std::vector<std::string> alphabet(lines.begin() + 2, lines.begin() + static_cast<std::ptrdiff_t>(merges_line));
  std::vector<BpeMerge> merges;
  for (size_t i = merges_line + 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t space = line.find(' ');
    check(space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
              line.find(' ', space + 1) == std::string_view::npos,
          "deserialize_raw_bpe: line {}: expected two pieces separated by one space, got '{}'", i + 1, line);
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
  }
  return std::make_unique<RawBpeTokenizer>(std::move(alphabet), std::move(merges));
}

}  // namespace qkv::data
