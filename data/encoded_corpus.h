// encoded_corpus.h — EncodedCorpus: a training corpus as token ids, stored compactly.
//
//   EncodedCorpus c = encode_compact(PairFiles("", "train.en", "train.de"), *src_tok, *tgt_tok,
//                                    src_vocab, tgt_vocab);
//   c.size();                 // pairs
//   c.source_length(7);       // ids of pair 7's source (no bos/eos)
//   c.target_id(7, 0);        // its first target id
//
// Each side is one flat buffer of ids plus one offset per sentence: uint16 ids while the
// vocabulary has at most 65,536 entries (BPE and Multi30k's word vocabularies do), else uint32.
// A Multi30k pair (about 13 tokens a side) takes about 2 × (13 × 2 + 8) = 68 bytes, against
// about 1 KB as strings, std::vector<int64_t> per sentence and their heap overhead. The buffers
// grow in chunks (data/chunked_array.h), never by copying. The text is never held:
// encode_compact reads the pairs one at a time (data/pair_source.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/chunked_array.h"
#include "data/pair_source.h"
#include "data/tokenizer.h"
#include "data/vocab.h"

namespace qkv::data {

struct Example;

class EncodedCorpus {
 public:
  // `source_vocab_size` / `target_vocab_size` bound the ids each side will hold.
  EncodedCorpus(int64_t source_vocab_size, int64_t target_vocab_size);

  // Appends one pair; every id must be in [0, its side's vocabulary size).
  void add(std::span<const int64_t> source, std::span<const int64_t> target);

  size_t size() const { return source_.offsets.size() - 1; }
  int64_t source_length(size_t i) const { return source_.length(i); }
  int64_t target_length(size_t i) const { return target_.length(i); }
  int64_t source_id(size_t i, int64_t j) const { return source_.id(i, j); }
  int64_t target_id(size_t i, int64_t j) const { return target_.id(i, j); }
  // Pair i as vectors (tests, small corpora).
  Example example(size_t i) const;
  // Bytes of ids and offsets held, for the log and the memory measurements (the buffers' last
  // chunks add at most a few MiB).
  size_t bytes() const { return source_.bytes() + target_.bytes(); }

 private:
  struct Side {
    bool wide = false;  // uint32 ids (vocabulary over 65,536)
    ChunkedArray<uint16_t> narrow_ids;
    ChunkedArray<uint32_t> wide_ids;
    ChunkedArray<uint64_t> offsets;  // sentence i is [offsets[i], offsets[i + 1]); offsets[0] = 0
    int64_t vocab_size = 0;
    Side() { offsets.push_back(0); }
    void check_ids(std::span<const int64_t> ids, const char* side) const;
    void add(std::span<const int64_t> ids);
    int64_t length(size_t i) const { return static_cast<int64_t>(offsets[i + 1] - offsets[i]); }
    int64_t id(size_t i, int64_t j) const {
      const uint64_t at = offsets[i] + static_cast<uint64_t>(j);
      return wide ? static_cast<int64_t>(wide_ids[at]) : static_cast<int64_t>(narrow_ids[at]);
    }
    size_t bytes() const;
  };
  Side source_, target_;
};

// Tokenizes and maps every pair to ids, straight into an EncodedCorpus, one pair at a time.
EncodedCorpus encode_compact(const PairSource& pairs, const Tokenizer& src_tok, const Tokenizer& tgt_tok,
                             const Vocab& src_vocab, const Vocab& tgt_vocab);

}  // namespace qkv::data
