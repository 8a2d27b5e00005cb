// batching.cpp — encoding a corpus to ids, padding examples into batches, and the
// deterministic per-epoch batch plan (see batching.h).
#include "data/batching.h"

#include <algorithm>
#include <numeric>

#include "tensor/error.h"
#include "tensor/factories.h"
#include "tensor/random.h"

namespace qkv::data {
namespace {

// A well-mixed 64-bit value from (seed, epoch); different pairs give unrelated generators.
uint64_t mix(uint64_t seed, uint64_t epoch) {
  auto finalize = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  return finalize(finalize(seed + 0x9E3779B97F4A7C15ull) ^ (epoch * 0xD1B54A32D192ED03ull + 1));
}

// The two stores of examples seen through one interface: lengths and ids of pair i.
struct ExampleVectors {
  const std::vector<Example>& examples;
  size_t size() const { return examples.size(); }
  int64_t source_length(size_t i) const { return static_cast<int64_t>(examples[i].source.size()); }
  int64_t target_length(size_t i) const { return static_cast<int64_t>(examples[i].target.size()); }
  int64_t source_id(size_t i, int64_t j) const { return examples[i].source[static_cast<size_t>(j)]; }
  int64_t target_id(size_t i, int64_t j) const { return examples[i].target[static_cast<size_t>(j)]; }
};

template <class Pairs>
Batch make_batch_of(const Pairs& examples, const std::vector<int64_t>& indices);
template <class Pairs>
std::vector<std::vector<int64_t>> plan_epoch_of(const Pairs& examples, const BatchOptions& options, int64_t epoch);

}  // namespace

std::vector<Example> encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tok, const Tokenizer& tgt_tok,
                                   const Vocab& src_vocab, const Vocab& tgt_vocab) {
  check(corpus.source.size() == corpus.target.size(),
        "encode_corpus: the corpus has {} source and {} target sentences ({}, {})", corpus.source.size(),
        corpus.target.size(), corpus.source_name, corpus.target_name);
  std::vector<Example> examples(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) {
    examples[i].source = src_vocab.encode(src_tok.encode(corpus.source[i]));
    examples[i].target = tgt_vocab.encode(tgt_tok.encode(corpus.target[i]));
  }
  return examples;
}

Batch make_batch(const std::vector<Example>& examples, const std::vector<int64_t>& indices) {
  return make_batch_of(ExampleVectors{examples}, indices);
}
Batch make_batch(const EncodedCorpus& examples, const std::vector<int64_t>& indices) {
  return make_batch_of(examples, indices);
}

std::vector<std::vector<int64_t>> plan_epoch(const std::vector<Example>& examples, const BatchOptions& options,
                                             int64_t epoch) {
  return plan_epoch_of(ExampleVectors{examples}, options, epoch);
}
std::vector<std::vector<int64_t>> plan_epoch(const EncodedCorpus& examples, const BatchOptions& options,
                                             int64_t epoch) {
  return plan_epoch_of(examples, options, epoch);
}
std::vector<std::vector<int64_t>> plan_epoch(const PairLengths& lengths, const BatchOptions& options, int64_t epoch) {
  return plan_epoch_of(lengths, options, epoch);
}

int64_t padded_length(const Example& example) {
  return static_cast<int64_t>(std::max(example.source.size(), example.target.size())) + 1;
}

namespace {

template <class Pairs>
Batch make_batch_of(const Pairs& examples, const std::vector<int64_t>& indices) {
  check(!indices.empty(), "make_batch: no examples given");
  const int64_t n = static_cast<int64_t>(examples.size());
  int64_t s_len = 0, t_len = 0;
  for (int64_t i : indices) {
    check(i >= 0 && i < n, "make_batch: example index {} is out of range for {} examples", i, n);
    s_len = std::max(s_len, examples.source_length(static_cast<size_t>(i)));
    t_len = std::max(t_len, examples.target_length(static_cast<size_t>(i)));
  }
  const int64_t B = static_cast<int64_t>(indices.size()), S = s_len + 1, T = t_len + 1;
  std::vector<int64_t> source(B * S, Vocab::kPad), target_in(B * T, Vocab::kPad), target_out(B * T, Vocab::kPad);
  std::vector<bool> padding(B * S, true);
  Batch batch;
  for (int64_t b = 0; b < B; ++b) {
    const auto i = static_cast<size_t>(indices[b]);
    const int64_t ls = examples.source_length(i), lt = examples.target_length(i);
    for (int64_t j = 0; j < ls; ++j) source[b * S + j] = examples.source_id(i, j);
    source[b * S + ls] = Vocab::kEos;
    for (int64_t j = 0; j <= ls; ++j) padding[b * S + j] = false;
    target_in[b * T] = Vocab::kBos;
    for (int64_t j = 0; j < lt; ++j) {
      target_in[b * T + j + 1] = examples.target_id(i, j);
      target_out[b * T + j] = examples.target_id(i, j);
    }
    target_out[b * T + lt] = Vocab::kEos;
    batch.source_tokens += ls + 1;
    batch.target_tokens += lt + 1;
  }
  batch.source = from_vector(source, Shape{B, S});           // (B, S)
  batch.source_padding = from_vector(padding, Shape{B, S});  // (B, S)
  batch.target_in = from_vector(target_in, Shape{B, T});     // (B, T)
  batch.target_out = from_vector(target_out, Shape{B, T});   // (B, T)
  batch.indices = indices;
  return batch;
}

template <class Pairs>
std::vector<std::vector<int64_t>> plan_epoch_of(const Pairs& examples, const BatchOptions& options, int64_t epoch) {
  check(options.max_tokens >= 1, "plan_epoch: max_tokens must be >= 1, got {}", options.max_tokens);
  check(options.max_sentences >= 0, "plan_epoch: max_sentences must be >= 0 (0 = no cap), got {}",
        options.max_sentences);
  check(options.max_length >= 0, "plan_epoch: max_length must be >= 0 (0 = keep all), got {}", options.max_length);
  check(epoch >= 0, "plan_epoch: epoch must be >= 0, got {}", epoch);
  Generator gen(mix(options.seed, static_cast<uint64_t>(epoch)));

  // The examples kept, each with a random tie-break key drawn in index order.
  struct Entry {
    int64_t target_len, source_len;
    uint64_t key;
    int64_t index;
  };
  std::vector<Entry> entries;
  entries.reserve(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    const int64_t ls = examples.source_length(i), lt = examples.target_length(i);
    if (options.max_length > 0 && (ls > options.max_length || lt > options.max_length)) continue;
    entries.push_back({lt, ls, options.shuffle ? gen.next_u64() : 0, static_cast<int64_t>(i)});
  }
  // A strict total order, so std::sort's result does not depend on the library.
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.target_len != y.target_len) return x.target_len < y.target_len;
    if (x.source_len != y.source_len) return x.source_len < y.source_len;
    if (x.key != y.key) return x.key < y.key;
    return x.index < y.index;
  });

  // Cut greedily: add the next example while the padded batch still fits the budget.
  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> current;
  int64_t width = 0;  // max(S, T) of the current batch
  for (const Entry& e : entries) {
    const int64_t w = std::max(e.source_len, e.target_len) + 1;
    const int64_t new_width = std::max(width, w);
    const int64_t new_size = static_cast<int64_t>(current.size()) + 1;
    const bool fits =
        new_size * new_width <= options.max_tokens && (options.max_sentences == 0 || new_size <= options.max_sentences);
    if (!current.empty() && !fits) {
      batches.push_back(std::move(current));
      current.clear();
      width = 0;
    }
    current.push_back(e.index);
    width = std::max(width, w);
  }
  if (!current.empty()) batches.push_back(std::move(current));

  if (options.shuffle) {
    // Fisher–Yates with the Generator's unbiased below(), not std::shuffle (library-specific).
    for (size_t i = batches.size(); i > 1; --i) std::swap(batches[i - 1], batches[gen.below(i)]);
  }
  return batches;
}

}  // namespace

}  // namespace qkv::data
