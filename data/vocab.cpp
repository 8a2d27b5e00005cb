// vocab.cpp — building, looking up and (de)serializing a Vocab (see vocab.h).
#include "data/vocab.h"

#include <algorithm>
#include <array>

#include "tensor/error.h"

namespace qkv::data {
namespace {

const std::array<std::string, 4> kSpecials = {"<pad>", "<unk>", "<bos>", "<eos>"};

}  // namespace

Vocab::Vocab() : Vocab(std::vector<std::string>(kSpecials.begin(), kSpecials.end())) {}

Vocab::Vocab(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  check(tokens_.size() >= kSpecials.size(), "Vocab: needs the {} specials first, got only {} tokens", kSpecials.size(),
        tokens_.size());
  for (size_t i = 0; i < kSpecials.size(); ++i)
    check(tokens_[i] == kSpecials[i], "Vocab: id {} must be the special '{}', got '{}'", i, kSpecials[i], tokens_[i]);
  ids_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const std::string& t = tokens_[i];
    check(!t.empty(), "Vocab: token {} is empty", i);
    check(t.find('\n') == std::string::npos, "Vocab: token {} contains a newline", i);
    const auto [it, fresh] = ids_.emplace(t, static_cast<int64_t>(i));
    check(fresh, "Vocab: token '{}' appears twice, as ids {} and {}", t, it->second, i);
  }
}

Vocab Vocab::build(const std::vector<std::vector<std::string>>& sentences, int64_t min_freq, int64_t max_size) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& sentence : sentences)
    for (const std::string& piece : sentence) ++counts[piece];
  return from_counts(counts, min_freq, max_size);
}

Vocab Vocab::from_counts(const std::unordered_map<std::string, int64_t>& counts, int64_t min_freq, int64_t max_size) {
  check(min_freq >= 1, "Vocab::build: min_freq must be >= 1, got {}", min_freq);
  check(max_size == 0 || max_size >= static_cast<int64_t>(kSpecials.size()),
        "Vocab::build: max_size must be 0 (no cap) or at least {} (the specials), got {}", kSpecials.size(), max_size);
  std::vector<std::pair<std::string_view, int64_t>> kept;
  for (const auto& [piece, count] : counts) {
    const bool special = std::find(kSpecials.begin(), kSpecials.end(), piece) != kSpecials.end();
    if (count >= min_freq && !special) kept.emplace_back(piece, count);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  if (max_size > 0) {
    const size_t room = static_cast<size_t>(max_size) - kSpecials.size();
    if (kept.size() > room) kept.resize(room);
  }
  std::vector<std::string> tokens(kSpecials.begin(), kSpecials.end());
  for (const auto& [piece, count] : kept) {
    check(!piece.empty(), "Vocab::build: a sentence holds an empty piece");
    check(piece.find('\n') == std::string_view::npos, "Vocab::build: the piece '{}' contains a newline", piece);
    tokens.emplace_back(piece);
  }
  return Vocab(std::move(tokens));
}

int64_t Vocab::id(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocab::token(int64_t id) const {
  check(id >= 0 && id < size(), "Vocab::token: id {} is out of range for a vocabulary of size {}", id, size());
  return tokens_[id];
}

std::vector<int64_t> Vocab::encode(const std::vector<std::string>& pieces) const {
  std::vector<int64_t> ids;
  ids.reserve(pieces.size());
  for (const std::string& p : pieces) ids.push_back(id(p));
  return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> pieces;
  for (int64_t i : ids) {
    if (i == kEos) break;
    if (i == kPad || i == kBos) continue;
    pieces.push_back(token(i));
  }
  return pieces;
}

std::string Vocab::serialize() const {
  std::string text;
  for (const std::string& t : tokens_) text.append(t).append(1, '\n');
  return text;
}

Vocab Vocab::deserialize(std::string_view text) {
  check(text.empty() || text.back() == '\n', "Vocab::deserialize: the text does not end with a newline (truncated?)");
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    tokens.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return Vocab(std::move(tokens));
}

}  // namespace qkv::data
