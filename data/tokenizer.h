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
// The kinds (qkv train --tokenizer):
//   whitespace, bpe   for tokenised text (the published Multi30k figures). Both split a line on
//                     runs of ASCII whitespace (space, \t, \n, \v, \f, \r) and treat every other
//                     byte as part of a word, so decode(encode(x)) == x only for x whose words
//                     are separated by single spaces with none leading or trailing.
//   rawbpe            qkv's lossless subwords for raw text (data/raw_bpe.h): decode(encode(x))
//                     == x for every valid UTF-8 line, no normalisation, byte fallback.
//   sentencepiece     a SentencePiece model (data/sentencepiece_tokenizer.h), loaded from
//                     spm_train's .model or learned; lossless except that a literal U+2581 "▁"
//                     comes back as a space. Needs qkv built with libsentencepiece.
// Tokenizers are immutable once made; encode and decode may be called from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/enum_names.h"

namespace qkv::data {

// The tokenizer a training run learns (qkv train --tokenizer), see the list above.
enum class TokenizerKind { whitespace, bpe, rawbpe, sentencepiece };
constexpr EnumNames<TokenizerKind, 4> enum_names(TokenizerKind) {
  return {"tokenizer",
          {{{TokenizerKind::whitespace, "whitespace"},
            {TokenizerKind::bpe, "bpe"},
            {TokenizerKind::rawbpe, "rawbpe"},
            {TokenizerKind::sentencepiece, "sentencepiece"}}}};
}

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<std::string> encode(std::string_view line) const = 0;      // pieces
  virtual std::string decode(const std::vector<std::string>& pieces) const = 0;  // back to a line
  virtual std::string name() const = 0;                                          // the kind's name
  virtual std::string serialize() const = 0;                                     // text; stored in checkpoints
  // Every piece encode can produce, for the subword models with a closed set (rawbpe,
  // sentencepiece): their vocabulary holds all of them, so no piece of any text becomes <unk>.
  // Empty for whitespace and bpe, whose vocabulary is the pieces seen often enough in training.
  virtual std::vector<std::string> inventory() const { return {}; }
};

// Pieces are the whitespace-separated words; decode joins them with single spaces.
std::unique_ptr<Tokenizer> make_whitespace_tokenizer();

// Rebuilds a tokenizer from serialize()'s text; throws qkv::Error on corrupt or unknown text.
std::unique_ptr<Tokenizer> deserialize_tokenizer(std::string_view text);

// The words of a line: maximal runs of non-whitespace bytes.
std::vector<std::string_view> split_words(std::string_view line);

}  // namespace qkv::data
