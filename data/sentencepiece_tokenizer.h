// sentencepiece_tokenizer.h — SentencePiece models (github.com/google/sentencepiece, Debian's
// libsentencepiece-dev) as qkv tokenizers: a .model file made by spm_train, or one learned here
// from the training lines with the library's trainer. Optional: when qkv is built without the
// library, sentencepiece_available() is false and every function below throws saying so.
//
//   auto spm = load_sentencepiece("m.model");        // pieces equal `spm_encode --model m.model`
//   auto own = learn_sentencepiece(lines, 8000);     // qkv's lossless settings, below
//   own->serialize();                                // the model's bytes in base64: no side file
//
// learn_sentencepiece trains with exactly these settings (kLosslessTrainerOptions): a unigram
// (SentencePiece's default) or BPE model, identity normalisation (no NFKC), add_dummy_prefix=false (no space is
// invented at the start), remove_extra_whitespaces=false (runs of spaces, leading and trailing spaces kept),
// byte_fallback=true (characters outside the model are spelled as <0xNN> pieces, never <unk>),
// SentencePiece's default character_coverage (0.9995) and split rules. With these,
// decode(encode(x)) == x for every valid UTF-8 line x, with one exception: a literal "▁"
// (U+2581) in x comes back as a space, because SentencePiece reads "▁" as its space symbol.
// A model made with spm_train's defaults (nmt_nfkc normalisation, a dummy prefix, extra spaces
// removed, no byte fallback) is used as it is: lossy in the ways its settings say.
//
// Pieces are SentencePiece's piece strings; its unknown piece is given as "<unk>" (qkv's <unk>);
// control pieces (<s>, </s>) are never produced. decode uses the model's own decoder.
// Serialized form: "qkv-tokenizer sentencepiece v1\n" then the model proto in base64 on one line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/tokenizer.h"
#include "tensor/enum_names.h"

namespace qkv::data {

// The model SentencePiece's trainer learns (qkv train --spm-type).
enum class SentencePieceType { unigram, bpe };
constexpr EnumNames<SentencePieceType, 2> enum_names(SentencePieceType) {
  return {"SentencePiece model type", {{{SentencePieceType::unigram, "unigram"}, {SentencePieceType::bpe, "bpe"}}}};
}

// The trainer options learn_sentencepiece adds to model_type and vocab_size.
inline constexpr std::string_view kLosslessTrainerOptions =
    "normalization_rule_name=identity add_dummy_prefix=false remove_extra_whitespaces=false byte_fallback=true";

// True when qkv was built with libsentencepiece.
bool sentencepiece_available();

// Loads a .model file (spm_train's output). Throws qkv::Error naming the file on failure.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& path);

// Learns a model of vocab_size pieces (SentencePiece's count: its <unk>, <s>, </s> and
// the 256 byte pieces included) with the lossless settings above. Throws qkv::Error with the
// trainer's message (for instance a vocab_size too small for the characters and bytes).
std::unique_ptr<Tokenizer> learn_sentencepiece(const std::vector<std::string>& lines, int64_t vocab_size,
                                               SentencePieceType type = SentencePieceType::unigram);

// Parses serialize()'s text.
std::unique_ptr<Tokenizer> deserialize_sentencepiece(std::string_view text);

}  // namespace qkv::data
