// shard.h — a rank's share of a global batch in data-parallel training.
//
//   global batch (indices, sorted by length by the plan):  e0 e1 e2 e3 e4 e5 e6
//   rank 0 of 2: e0 e2 e4 e6        rank 1 of 2: e1 e3 e5
//
// Every rank plans the same global batches as one process would (data/batching.h) and takes
// every size-th example from its rank on, so the shares have similar lengths and padding. The
// loss is normalised by the whole batch's target tokens, which every rank counts from the
// lengths without asking the others. A batch with fewer examples than ranks leaves some ranks
// an empty share: they add zero gradients.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "data/batching.h"

namespace qkv::train {

struct Shard {
  std::vector<int64_t> indices;                                // this rank's examples (may be none)
  std::optional<data::Batch> batch;                            // their batch (rank_corpus.h); none if no examples
  int64_t global_source_tokens = 0, global_target_tokens = 0;  // of the whole batch, as make_batch counts
};

// This rank's examples and the whole batch's token counts, from the pairs' lengths; the caller
// fetches the batch (RankCorpus::fetch_batch: the ids live with their owners).
Shard shard_of(const data::PairLengths& lengths, const std::vector<int64_t>& global_batch, int rank, int size);

}  // namespace qkv::train
