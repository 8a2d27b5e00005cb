// tokenizer.h — the interface between sentences and pieces: a Tokenizer turns a line into
// pieces (strings a Vocab then maps to ids) and pieces back into a line.
//
//   auto tok = make_whitespace_tokenizer();
//   tok->encode("a man  rides .");          // {"a", "man", "rides", "."}
//   tok->decode({"a", "man", "rides", "."}); // "a man rides ."
//
//   auto bpe = learn_bpe(train.source, 8000);  // data/bpe.h
//   std::string saved = bpe->serialize();      // stored in checkpoints
//   auto again = deserialize_tokenizer(saved); // the same tokenizer
//
// Both tokenizers split a line on runs of ASCII whitespace (space, \t, \n, \v, \f, \r) and
// treat every other byte as part of a word, so decode(encode(x)) == x for any x whose words
// are separated by single spaces with none leading or trailing ("whitespace-normalised").
// Tokenizers are immutable once made; encode and decode may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/enum_names.h"

namespace qkv::data {

// The tokenizer a training run learns (qkv train --tokenizer): whitespace words, or BPE pieces.
enum class TokenizerKind { whitespace, bpe };
constexpr EnumNames<TokenizerKind, 2> enum_names(TokenizerKind) {
  return {"tokenizer", {{{TokenizerKind::whitespace, "whitespace"}, {TokenizerKind::bpe, "bpe"}}}};
}

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<std::string> encode(std::string_view line) const = 0;      // pieces
  virtual std::string decode(const std::vector<std::string>& pieces) const = 0;  // back to a line
  virtual std::string name() const = 0;                                          // "whitespace" or "bpe"
  virtual std::string serialize() const = 0;                                     // text; stored in checkpoints
};

// Pieces are the whitespace-separated words; decode joins them with single spaces.
std::unique_ptr<Tokenizer> make_whitespace_tokenizer();

// Rebuilds a tokenizer from serialize()'s text; throws qkv::Error on corrupt or unknown text.
std::unique_ptr<Tokenizer> deserialize_tokenizer(std::string_view text);

// The words of a line: maximal runs of non-whitespace bytes.
std::vector<std::string_view> split_words(std::string_view line);

}  // namespace qkv::data
