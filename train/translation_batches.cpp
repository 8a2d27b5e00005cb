// translation_batches.cpp — length-sorted decoding batches (see translation_batches.h).
#include "train/translation_batches.h"

#include <algorithm>
#include <numeric>

#include "train/evaluate.h"

namespace qkv::train {

std::vector<std::vector<size_t>> plan_translation_batches(const std::vector<int64_t>& lengths,
                                                          int64_t max_batch_tokens) {
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::vector<size_t>> groups;
  size_t i = 0;
  while (i < order.size()) {
    // Sorted ascending: the last sentence taken is the longest, so the batch is n × its length.
    std::vector<size_t> group;
    while (i < order.size()) {
      const int64_t length = lengths[order[i]];
      if (!group.empty() && length * static_cast<int64_t>(group.size() + 1) > max_batch_tokens) break;
      group.push_back(order[i]);
      ++i;
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<std::vector<models::ScoredHypothesis>> decode_in_batches(models::Seq2Seq& model,
                                                                     const std::vector<std::vector<int64_t>>& ids,
                                                                     const models::DecodeOptions& options,
                                                                     int64_t n_best, int64_t max_batch_tokens) {
  std::vector<int64_t> lengths;
  lengths.reserve(ids.size());
  for (const auto& sentence : ids) lengths.push_back(static_cast<int64_t>(sentence.size()) + 1);  // + eos
  std::vector<std::vector<models::ScoredHypothesis>> out(ids.size());
  for (const std::vector<size_t>& members : plan_translation_batches(lengths, max_batch_tokens)) {
    std::vector<std::vector<int64_t>> group;
    for (size_t m : members) group.push_back(ids[m]);
    const SourceBatch batch = make_source_batch(group);
    auto lists = models::translate_n_best(model, batch.source, batch.source_padding, options, n_best);
    for (size_t k = 0; k < members.size(); ++k) out[members[k]] = std::move(lists[k]);
  }
  return out;
}

}  // namespace qkv::train
