// shard.cpp — a rank's share of a global batch (see shard.h).
#include "train/shard.h"

#include "tensor/error.h"

namespace qkv::train {

Shard shard_of(const data::EncodedCorpus& corpus, const std::vector<int64_t>& global_batch, int rank, int size) {
  check(size >= 1 && rank >= 0 && rank < size, "shard_of: rank {} of {} ranks", rank, size);
  Shard shard;
  std::vector<int64_t> mine;
  for (size_t k = 0; k < global_batch.size(); ++k) {
    const auto i = static_cast<size_t>(global_batch[k]);
    shard.global_source_tokens += corpus.source_length(i) + 1;  // + eos
    shard.global_target_tokens += corpus.target_length(i) + 1;  // + eos (the labels)
    if (static_cast<int>(k % static_cast<size_t>(size)) == rank) mine.push_back(global_batch[k]);
  }
  if (!mine.empty()) shard.batch = data::make_batch(corpus, mine);
  return shard;
}

}  // namespace qkv::train
