// encoded_corpus.cpp — the compact id store of a training corpus (see encoded_corpus.h).
#include "data/encoded_corpus.h"

#include "data/batching.h"
#include "tensor/error.h"

namespace qkv::data {

EncodedCorpus::EncodedCorpus(int64_t source_vocab_size, int64_t target_vocab_size) {
  for (auto [side, size, name] :
       {std::tuple{&source_, source_vocab_size, "source"}, std::tuple{&target_, target_vocab_size, "target"}}) {
    check(size >= 1 && size <= (int64_t{1} << 32), "EncodedCorpus: {} vocabulary size {} (1 to 2^32 allowed)", name,
          size);
    side->vocab_size = size;
    side->wide = size > 65536;
  }
}

void EncodedCorpus::Side::check_ids(std::span<const int64_t> ids, const char* side) const {
  for (const int64_t id : ids) {
    check(id >= 0 && id < vocab_size, "EncodedCorpus::add: {} id {} is outside the vocabulary of {}", side, id,
          vocab_size);
  }
}

void EncodedCorpus::Side::add(std::span<const int64_t> ids) {
  for (const int64_t id : ids) {
    if (wide) {
      wide_ids.push_back(static_cast<uint32_t>(id));
    } else {
      narrow_ids.push_back(static_cast<uint16_t>(id));
    }
  }
  offsets.push_back(offsets.back() + ids.size());
}

size_t EncodedCorpus::Side::bytes() const { return narrow_ids.bytes() + wide_ids.bytes() + offsets.bytes(); }

void EncodedCorpus::add(std::span<const int64_t> source, std::span<const int64_t> target) {
  source_.check_ids(source, "source");  // both sides first: a refused pair leaves no half behind
  target_.check_ids(target, "target");
  source_.add(source);
  target_.add(target);
}

Example EncodedCorpus::example(size_t i) const {
  Example ex;
  for (int64_t j = 0; j < source_length(i); ++j) ex.source.push_back(source_id(i, j));
  for (int64_t j = 0; j < target_length(i); ++j) ex.target.push_back(target_id(i, j));
  return ex;
}

EncodedCorpus encode_compact(const PairSource& pairs, const Tokenizer& src_tok, const Tokenizer& tgt_tok,
                             const Vocab& src_vocab, const Vocab& tgt_vocab) {
  EncodedCorpus out(src_vocab.size(), tgt_vocab.size());
  pairs.for_each([&](std::string_view source, std::string_view target) {
    out.add(src_vocab.encode(src_tok.encode(source)), tgt_vocab.encode(tgt_tok.encode(target)));
  });
  return out;
}

}  // namespace qkv::data
