// pair_source.h — PairSource: a parallel corpus visited one pair at a time, as many times as a
// reader needs, without holding its text. qkv train passes over its training files two or three
// times (a sample for a subword learner, piece counts for the vocabularies, then the ids:
// train/codec_factory.h, data/encoded_corpus.h), so a corpus of any size costs the memory of its
// ids, not of its text.
//
//   PairFiles files("", "data/multi30k/train.en", "data/multi30k/train.de");
//   files.for_each([](std::string_view source, std::string_view target) { ... });
//   PairsInMemory pairs(corpus);   // a ParallelCorpus already read (tests, samples)
//
// The views passed to the visitor are valid during the call only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "data/corpus.h"

namespace qkv::data {

using PairVisitor = std::function<void(std::string_view source, std::string_view target)>;

class PairSource {
 public:
  virtual ~PairSource() = default;
  // Calls `visit` for every pair, in order.
  virtual void for_each(const PairVisitor& visit) const = 0;
  // The sides' names, for messages: file names, or "PATH (column 1)" for a TSV file.
  virtual std::string source_name() const = 0;
  virtual std::string target_name() const = 0;
};

// Two aligned files (line i of `source` translates line i of `target`) or, when `tsv` is not
// empty, one file of source<TAB>target lines; read from disk on every pass, through
// data/line_reader.h. Every pass checks what read_parallel and read_parallel_tsv check (corpus.h)
// and throws the same qkv::Error, named "read_parallel" or "read_parallel_tsv".
class PairFiles final : public PairSource {
 public:
  PairFiles(std::string tsv, std::string source, std::string target, CorpusLimits limits = {});
  void for_each(const PairVisitor& visit) const override;
  std::string source_name() const override;
  std::string target_name() const override;

 private:
  void for_each_aligned(const PairVisitor& visit) const;
  void for_each_tsv(const PairVisitor& visit) const;
  std::string tsv_, source_, target_;
  CorpusLimits limits_;
};

// A corpus already in memory; it must outlive this.
class PairsInMemory final : public PairSource {
 public:
  explicit PairsInMemory(const ParallelCorpus& corpus) : corpus_(corpus) {}
  void for_each(const PairVisitor& visit) const override;
  std::string source_name() const override { return corpus_.source_name; }
  std::string target_name() const override { return corpus_.target_name; }

 private:
  const ParallelCorpus& corpus_;
};

// Every pair of `pairs`, read into memory.
ParallelCorpus read_all(const PairSource& pairs);

// Every pair (in order) when max_pairs is 0 or there are no more than max_pairs; else max_pairs
// pairs drawn uniformly at random by reservoir sampling (Vitter's algorithm R), from a generator
// seeded with `seed`: the same sample for the same seed on every run, rank and machine. Holds the
// sample only, never the whole corpus. What the subword learners read (train/codec_factory.h).
ParallelCorpus sample_pairs(const PairSource& pairs, int64_t max_pairs, uint64_t seed);

}  // namespace qkv::data
