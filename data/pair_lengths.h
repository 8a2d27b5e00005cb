// pair_lengths.h — PairLengths: the source and target lengths (ids, without bos/eos) of every
// training pair, 8 bytes a pair. Planning an epoch's batches and splitting a batch among ranks
// read only these (data/batching.h, train/shard.h), so in a data-parallel run every rank knows
// every pair's lengths but keeps the ids of its own share only (train/rank_corpus.h).
#pragma once

#include <cstdint>

#include "data/chunked_array.h"
#include "tensor/error.h"

namespace qkv::data {

class PairLengths {
 public:
  void push_back(int64_t source, int64_t target) {
    check(source >= 0 && source <= kMax && target >= 0 && target <= kMax,
          "PairLengths: pair {} has {} source and {} target ids; at most {} each", size(), source, target, kMax);
    source_.push_back(static_cast<uint32_t>(source));
    target_.push_back(static_cast<uint32_t>(target));
  }
  size_t size() const { return source_.size(); }
  int64_t source_length(size_t i) const { return source_[i]; }
  int64_t target_length(size_t i) const { return target_[i]; }
  uint64_t bytes() const { return source_.bytes() + target_.bytes(); }

 private:
  static constexpr int64_t kMax = 0xFFFFFFFF;
  ChunkedArray<uint32_t> source_, target_;
};

}  // namespace qkv::data
