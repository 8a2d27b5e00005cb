// whitespace_tokenizer.cpp — the simplest tokenizer (pieces are words), word splitting, and
// deserialize_tokenizer, which dispatches on the first line of the serialized text.
#include <fmt/format.h>

#include "data/bpe.h"
#include "data/raw_bpe.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/tokenizer.h"
#include "data/utf8.h"
#include "tensor/error.h"

namespace qkv::data {
namespace {

constexpr std::string_view kWhitespaceHeader = "qkv-tokenizer whitespace v1";

class WhitespaceTokenizer final : public Tokenizer {
 public:
  std::vector<std::string> encode(std::string_view line) const override {
    std::vector<std::string> pieces;
    for (std::string_view word : split_words(line)) pieces.emplace_back(word);
    return pieces;
  }
  std::string decode(const std::vector<std::string>& pieces) const override {
    return fmt::format("{}", fmt::join(pieces, " "));
  }
  std::string name() const override { return "whitespace"; }
  std::string serialize() const override { return std::string(kWhitespaceHeader) + "\n"; }
};

}  // namespace

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_ascii_space(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_ascii_space(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::unique_ptr<Tokenizer> make_whitespace_tokenizer() { return std::make_unique<WhitespaceTokenizer>(); }

std::unique_ptr<Tokenizer> deserialize_tokenizer(std::string_view text) {
  const std::string_view first_line = text.substr(0, text.find('\n'));
  if (first_line == kWhitespaceHeader) {
    const std::string_view rest = text.substr(std::min(text.size(), first_line.size() + 1));
    check(rest.find_first_not_of(" \t\r\n") == std::string_view::npos,
          "deserialize_tokenizer: unexpected text after the '{}' header", kWhitespaceHeader);
    return make_whitespace_tokenizer();
  }
  if (first_line.starts_with("qkv-tokenizer bpe ")) return deserialize_bpe(text);
  if (first_line.starts_with("qkv-tokenizer rawbpe ")) return deserialize_raw_bpe(text);
  if (first_line.starts_with("qkv-tokenizer sentencepiece ")) return deserialize_sentencepiece(text);
  check(false,
        "deserialize_tokenizer: not a serialized qkv tokenizer: the first line is '{}' (expected '{}', "
        "'qkv-tokenizer bpe v1', 'qkv-tokenizer rawbpe v1' or 'qkv-tokenizer sentencepiece v1')",
        first_line.substr(0, 80), kWhitespaceHeader);
  return nullptr;
}

}  // namespace qkv::data
