// shard.cpp — a rank's share of a global batch (see shard.h).
#include "train/shard.h"

#include "tensor/error.h"

namespace qkv::train {

Shard shard_of(const data::PairLengths& lengths, const std::vector<int64_t>& global_batch, int rank, int size) {
  check(size >= 1 && rank >= 0 && rank < size, "shard_of: rank {} of {} ranks", rank, size);
  Shard shard;
  for (size_t k = 0; k < global_batch.size(); ++k) {
    const auto i = static_cast<size_t>(global_batch[k]);
    check(i < lengths.size(), "shard_of: example {} is out of range for {} examples", global_batch[k], lengths.size());
    shard.global_source_tokens += lengths.source_length(i) + 1;  // + eos
    shard.global_target_tokens += lengths.target_length(i) + 1;  // + eos (the labels)
    if (static_cast<int>(k % static_cast<size_t>(size)) == rank) shard.indices.push_back(global_batch[k]);
  }
  return shard;
}

}  // namespace qkv::train
