// text_codec.h — TextCodec: one language's text <-> token ids, a tokenizer followed by a vocabulary.
//
//   "a dog runs ."  --tokenizer-->  ["a", "dog", "runs", "."]  --vocab-->  [4, 17, 230, 5]
//
// The trainer builds one per side from the training data; checkpoints store both halves as
// text, so `qkv translate` reads exactly what training used.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/corpus.h"
#include "data/tokenizer.h"
#include "data/vocab.h"

namespace qkv::train {

class TextCodec {
 public:
  TextCodec(std::unique_ptr<data::Tokenizer> tokenizer, data::Vocab vocab)
      : tokenizer_(std::move(tokenizer)), vocab_(std::move(vocab)) {}

  std::vector<int64_t> encode(std::string_view line) const { return vocab_.encode(tokenizer_->encode(line)); }
  // Stops at the first <eos>; drops <pad> and <bos>. Always one line of text: a byte no corpus
  // line can hold (a byte piece's "\n" or NUL) becomes U+FFFD (data/corpus.h).
  std::string decode(const std::vector<int64_t>& ids) const {
    return data::replace_non_text_bytes(tokenizer_->decode(vocab_.decode(ids)));
  }
  // The pieces a line becomes (for labelling heatmaps), with <unk> where the vocabulary lacks one.
  std::vector<std::string> pieces(std::string_view line) const {
    std::vector<std::string> out;
    for (int64_t id : encode(line)) out.push_back(vocab_.token(id));
    return out;
  }

  const data::Tokenizer& tokenizer() const { return *tokenizer_; }
  const data::Vocab& vocab() const { return vocab_; }

 private:
  std::unique_ptr<data::Tokenizer> tokenizer_;
  data::Vocab vocab_;
};

}  // namespace qkv::train
