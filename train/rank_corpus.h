// rank_corpus.h — RankCorpus: the training corpus as one rank of a data-parallel run holds it.
//
//   RankCorpus train(pairs, *source_codec, *target_codec, distributed());
//   plan_epoch(train.lengths(), options, epoch);          // every pair's lengths, on every rank
//   std::optional<Batch> b = train.fetch_batch(indices);  // any pairs: asks their owners
//
// Every rank knows the lengths of every pair, which is all that planning an epoch and splitting
// a global batch read (data/batching.h, train/shard.h). But a rank tokenises, and keeps the ids
// of, only the pairs it owns: pair i belongs to rank i mod N. Before each step every rank asks
// the owners for the ids of its share of the batch (fetch_batch: one exchange of indices, one of
// ids, a few kilobytes against the megabytes of gradients). So a rank holds 8 bytes a pair of
// lengths plus 1/N of the ids (about 68 bytes a Multi30k pair), and loading tokenises 1/N of the
// corpus per rank. One process owns every pair and asks no one.
#pragma once

#include <optional>
#include <vector>

#include "data/batching.h"
#include "data/encoded_corpus.h"
#include "data/pair_lengths.h"
#include "data/pair_source.h"
#include "train/distributed.h"
#include "train/text_codec.h"

namespace qkv::train {

class RankCorpus {
 public:
  // Reads every pair of `pairs`, tokenises this rank's, and exchanges the lengths with the other
  // ranks (a collective).
  RankCorpus(const data::PairSource& pairs, const TextCodec& source, const TextCodec& target, Distributed& ranks);

  size_t size() const { return lengths_.size(); }
  const data::PairLengths& lengths() const { return lengths_; }
  // The pairs at `indices` (global pair indices, in range) padded into one batch in that order,
  // its `indices` the global ones; nullopt when `indices` is empty. A collective when there are
  // several ranks: every rank calls it at the same point, each with its own indices (or none).
  std::optional<data::Batch> fetch_batch(const std::vector<int64_t>& indices) const;
  // Bytes held: the lengths and the owned pairs' ids.
  uint64_t bytes() const { return lengths_.bytes() + owned_.bytes(); }

 private:
  // The owner of pair i and where it keeps it.
  int owner(int64_t i) const { return static_cast<int>(i % ranks_.size()); }
  int64_t slot(int64_t i) const { return i / ranks_.size(); }
  void exchange_lengths();

  Distributed& ranks_;
  data::EncodedCorpus owned_;  // pair i of this rank's at slot(i)
  data::PairLengths lengths_;
};

}  // namespace qkv::train
