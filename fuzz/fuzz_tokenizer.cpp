// fuzz_tokenizer.cpp — the tokenizers (data/tokenizer.h) of every TokenizerKind: learning from
// lines, encoding and decoding lines, and rebuilding a tokenizer from serialized text (what a
// checkpoint stores; deserialize_tokenizer picks the kind from the text's first line).
//
// An input is one control byte, then text:
//   control & 0x0F   the kind: that index into enum_names(TokenizerKind) (modulo their number)
//   (control >> 4) % 4
//                    0 learn:        learn a tokenizer of the kind from the text's lines
//                    1 deserialize:  deserialize_tokenizer(text) (any kind, by its header)
//                    2 encode:       encode the text's lines with a tokenizer of the kind learned
//                                    from a fixed sample
//                    3 decode:       decode the text's lines as pieces with that tokenizer
// Properties of every tokenizer made: serialize → deserialize gives the same text and the same
// pieces; pieces are non-empty and hold no newline (a Vocab stores one per line), and for the
// kinds that split at whitespace no ASCII whitespace at all (rawbpe keeps a tab, a form feed or a
// CR inside a line as a character of its own: it is lossless, and only a space becomes ▁); and
// each kind's round-trip promise (round_trip): for whitespace and bpe, decode(encode(line)) is the
// line's words joined by single spaces; for rawbpe it is the line itself, byte for byte, when the
// line is valid UTF-8. sentencepiece is fuzzed through deserialize only: its trainer needs far
// more text than a fuzz input holds.
//
// A new kind is covered by `deserialize` through deserialize_tokenizer as soon as it exists;
// learn_tokenizer and round_trip below need a case for it (g++ and clang warn with
// -Wswitch until it has one).
#include <memory>
#include <string>
#include <vector>

#include "data/bpe.h"
#include "data/raw_bpe.h"
#include "data/tokenizer.h"
#include "data/utf8.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace qkv;
using data::TokenizerKind;

constexpr int64_t kMerges = 64;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The tokenizer of `kind` that qkv train would learn from `lines` (train/codec_factory.cpp), or null
// for a kind this target does not know yet.
std::unique_ptr<data::Tokenizer> learn_tokenizer(TokenizerKind kind, const std::vector<std::string>& lines) {
  switch (kind) {
    case TokenizerKind::whitespace: return data::make_whitespace_tokenizer();
    case TokenizerKind::bpe: return data::learn_bpe(lines, kMerges);
    case TokenizerKind::rawbpe: return data::learn_raw_bpe(lines, {.vocab_size = 260 + kMerges, .min_char_count = 1});
    case TokenizerKind::sentencepiece: return nullptr;
  }
  return nullptr;
}

// What decode(encode(line)) promises, per kind (data/tokenizer.h).
enum class RoundTrip { words, bytes, none };
RoundTrip round_trip(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::whitespace:
    case TokenizerKind::bpe: return RoundTrip::words;
    case TokenizerKind::rawbpe: return RoundTrip::bytes;
    case TokenizerKind::sentencepiece: return RoundTrip::none;
  }
  return RoundTrip::none;
}

std::string normalised(std::string_view line) {
  std::string out;
  for (std::string_view word : data::split_words(line)) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

void check_tokenizer(const data::Tokenizer& tok, const std::vector<std::string>& lines, RoundTrip promise) {
  const std::string text = tok.serialize();
  const auto again = data::deserialize_tokenizer(text);
  if (again->serialize() != text) fuzz::property_failed("serialize → deserialize → serialize changed the text");
  if (again->name() != tok.name()) fuzz::property_failed("deserialize_tokenizer gave another kind");
  for (const auto& line : lines) {
    const auto pieces = tok.encode(line);
    if (again->encode(line) != pieces) fuzz::property_failed("a deserialized tokenizer encodes differently");
    for (const auto& piece : pieces) {
      if (piece.empty()) fuzz::property_failed("encode gave an empty piece");
      for (const char c : piece) {
        if (c == '\n') fuzz::property_failed("encode gave a piece holding a newline");
        if (promise == RoundTrip::words && data::is_ascii_space(c))
          fuzz::property_failed("encode gave a piece holding whitespace");
      }
    }
    if (promise == RoundTrip::words && tok.decode(pieces) != normalised(line)) {
      fuzz::property_failed("decode(encode(line)) is not the line's words joined by single spaces");
    }
    if (promise == RoundTrip::bytes && data::first_invalid_utf8(line) == std::string_view::npos &&
        tok.decode(pieces) != line) {
      fuzz::property_failed("decode(encode(line)) is not the line, byte for byte");
    }
  }
}

// A tokenizer of `kind` learned once from a fixed sample, for the encode and decode modes.
const data::Tokenizer* sample_tokenizer(TokenizerKind kind) {
  static const std::vector<std::string> sample = {"a man in an orange hat starring at something .",
                                                  "two young , white males are outside near many bushes .",
                                                  "ein mann mit einem orangefarbenen hut , der etwas anstarrt .",
                                                  "zwei junge weiße männer sind im freien .",
                                                  "ünïcödé wörds and 日本語 and emoji 🙂 too",
                                                  "lower lowest newer newest wider widest </w> x</w>y"};
  static std::vector<std::unique_ptr<data::Tokenizer>> made(enum_names(TokenizerKind{}).names.size());
  const auto index = static_cast<size_t>(kind);
  if (!made[index]) made[index] = learn_tokenizer(kind, sample);
  return made[index].get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& kinds = enum_names(TokenizerKind{}).names;
  const TokenizerKind kind = kinds[(data[0] & 0x0F) % kinds.size()].first;
  const int mode = (data[0] >> 4) % 4;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  const std::vector<std::string> lines = lines_of(text);
  switch (mode) {
    case 0: {
      std::unique_ptr<data::Tokenizer> tok;
      if (fuzz::expect_errors([&] { tok = learn_tokenizer(kind, lines); }) && tok) {
        check_tokenizer(*tok, lines, round_trip(kind));
      }
      break;
    }
    case 1: {
      std::unique_ptr<data::Tokenizer> tok;
      if (fuzz::expect_errors([&] { tok = data::deserialize_tokenizer(text); })) {
        RoundTrip promise = RoundTrip::none;  // the round-trip promise is per kind: find the kind by its name
        for (const auto& [k, name] : kinds) {
          if (name == tok->name()) promise = round_trip(k);
        }
        check_tokenizer(*tok, lines, promise);
      }
      break;
    }
    case 2:
      if (const auto* tok = sample_tokenizer(kind)) check_tokenizer(*tok, lines, round_trip(kind));
      break;
    case 3:
      if (const auto* tok = sample_tokenizer(kind)) tok->decode(lines);
      break;
  }
  return 0;
}
