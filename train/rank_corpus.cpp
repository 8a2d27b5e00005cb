// rank_corpus.cpp — a rank's share of the training corpus, and fetching a batch's pairs from
// their owners (see rank_corpus.h).
#include "train/rank_corpus.h"

#include "tensor/error.h"

namespace qkv::train {

RankCorpus::RankCorpus(const data::PairSource& pairs, const TextCodec& source, const TextCodec& target,
                       Distributed& ranks)
    : ranks_(ranks), owned_(source.vocab().size(), target.vocab().size()) {
  int64_t i = 0;
  pairs.for_each([&](std::string_view s, std::string_view t) {
    if (owner(i++) == ranks_.rank()) owned_.add(source.encode(s), target.encode(t));
  });
  if (ranks_.size() == 1) {
    for (size_t k = 0; k < owned_.size(); ++k) lengths_.push_back(owned_.source_length(k), owned_.target_length(k));
  } else {
    exchange_lengths();
  }
}

// Every rank sends the lengths of its pairs to every rank (two 32-bit lengths in one value);
// pair i's are then the slot(i)-th of its owner's list.
void RankCorpus::exchange_lengths() {
  std::vector<int64_t> mine;
  mine.reserve(owned_.size());
  for (size_t k = 0; k < owned_.size(); ++k) {
    mine.push_back(owned_.source_length(k) << 32 | owned_.target_length(k));
  }
  const auto n = static_cast<size_t>(ranks_.size());
  std::vector<std::vector<int64_t>> from_each = ranks_.exchange(std::vector<std::vector<int64_t>>(n, mine));
  mine = {};
  size_t total = 0;
  for (const auto& list : from_each) total += list.size();
  for (size_t i = 0; i < total; ++i) {
    const std::vector<int64_t>& list = from_each[i % n];
    check(i / n < list.size(), "RankCorpus: rank {} sent the lengths of {} pairs, but {} pairs in all need more", i % n,
          list.size(), total);
    const int64_t packed = list[i / n];
    lengths_.push_back(packed >> 32, packed & 0xFFFFFFFF);
  }
}

std::optional<data::Batch> RankCorpus::fetch_batch(const std::vector<int64_t>& indices) const {
  const auto n = static_cast<size_t>(ranks_.size());
  for (const int64_t i : indices) {
    check(i >= 0 && static_cast<size_t>(i) < size(), "RankCorpus: pair {} is out of range for {} pairs", i, size());
  }
  if (n == 1) {  // one process owns every pair, each at its own index
    if (indices.empty()) return std::nullopt;
    return data::make_batch(owned_, indices);
  }
  // 1. Ask each owner for the slots of its pairs, in the order of `indices`.
  std::vector<std::vector<int64_t>> asked(n);
  for (const int64_t i : indices) asked[static_cast<size_t>(owner(i))].push_back(slot(i));
  const std::vector<std::vector<int64_t>> asked_of_me = ranks_.exchange(asked);
  // 2. Answer every rank: per pair, the source length and ids, then the target's.
  std::vector<std::vector<int64_t>> answers(n);
  for (size_t q = 0; q < n; ++q) {
    for (const int64_t k : asked_of_me[q]) {
      const auto at = static_cast<size_t>(k);
      check(k >= 0 && at < owned_.size(), "RankCorpus: rank {} asked for slot {} of {}", q, k, owned_.size());
      std::vector<int64_t>& out = answers[q];
      out.push_back(owned_.source_length(at));
      for (int64_t j = 0; j < owned_.source_length(at); ++j) out.push_back(owned_.source_id(at, j));
      out.push_back(owned_.target_length(at));
      for (int64_t j = 0; j < owned_.target_length(at); ++j) out.push_back(owned_.target_id(at, j));
    }
  }
  const std::vector<std::vector<int64_t>> answered = ranks_.exchange(answers);
  // 3. Read the answers back in the order of `indices`.
  std::vector<data::Example> examples;
  std::vector<size_t> read(n, 0);
  const auto take = [&](size_t q) {
    const std::vector<int64_t>& list = answered[q];
    check(read[q] < list.size(), "RankCorpus: rank {} answered with too few values", q);
    const auto length = static_cast<size_t>(list[read[q]++]);
    check(read[q] + length <= list.size(), "RankCorpus: rank {} answered with too few values", q);
    std::vector<int64_t> ids(list.begin() + static_cast<std::ptrdiff_t>(read[q]),
                             list.begin() + static_cast<std::ptrdiff_t>(read[q] + length));
    read[q] += length;
    return ids;
  };
  for (const int64_t i : indices) {
    const auto q = static_cast<size_t>(owner(i));
    data::Example e;
    e.source = take(q);
    e.target = take(q);
    examples.push_back(std::move(e));
  }
  if (indices.empty()) return std::nullopt;
  std::vector<int64_t> order(indices.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);
  data::Batch batch = data::make_batch(examples, order);
  batch.indices = indices;
  return batch;
}

}  // namespace qkv::train
