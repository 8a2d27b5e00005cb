// batching.h — from sentences to training batches: ids per example, padded tensors per batch,
// and a deterministic plan of which examples go into which batch in each epoch.
//
//   std::vector<Example> ex = encode_corpus(train, *src_tok, *tgt_tok, src_vocab, tgt_vocab);
//   BatchOptions opt;  opt.max_tokens = 4096;  opt.seed = 1;
//   for (const auto& indices : plan_epoch(ex, opt, epoch)) {
//     Batch b = make_batch(ex, indices);   // b.source (B, S), b.target_in / target_out (B, T)
//     ...
//   }
//
// A batch holds, for B examples with source ids s and target ids t:
//   source       (B, S) int64  s + eos, then pad              S = max |s| + 1
//   target_in    (B, T) int64  bos + t, then pad              T = max |t| + 1
//   target_out   (B, T) int64  t + eos, then pad (the labels; pad is the ignore_index)
//   source_padding (B, S) bool true where source is pad
// Rows are in the order of `indices`.
//
// The plan: examples are sorted by (target length, source length), ties broken by a random
// key (and then by index), and cut greedily, in that order, into batches with
// B * max(S, T) <= max_tokens (S and T as above, so eos and bos count) and B <= max_sentences;
// then the batch order is shuffled. An example that alone exceeds max_tokens is not an error:
// it gets a batch of its own (use max_length to drop such examples instead). All randomness
// comes from qkv's Generator seeded from (seed, epoch), so the same (examples, options, epoch)
// give the same plan on every machine: a trainer resumes mid-epoch by recomputing the plan
// and skipping the batches already done. With shuffle = false there is no randomness at all:
// ties are broken by index and batches come shortest first.
#pragma once

#include <cstdint>
#include <vector>

#include "data/corpus.h"
#include "data/encoded_corpus.h"
#include "data/pair_lengths.h"
#include "data/tokenizer.h"
#include "data/vocab.h"
#include "tensor/tensor.h"

namespace qkv::data {

struct Example {
  std::vector<int64_t> source, target;  // ids, no bos/eos
};

// Tokenizes and maps every sentence pair of the corpus to ids.
std::vector<Example> encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tok, const Tokenizer& tgt_tok,
                                   const Vocab& src_vocab, const Vocab& tgt_vocab);

struct Batch {
  Tensor source;                                 // (B, S) int64: ids + eos, then pad
  Tensor source_padding;                         // (B, S) bool, true = pad position
  Tensor target_in;                              // (B, T) int64: bos + ids, then pad
  Tensor target_out;                             // (B, T) int64: ids + eos, then pad (the labels; pad is ignore_index)
  std::vector<int64_t> indices;                  // which examples, in batch order
  int64_t source_tokens = 0, target_tokens = 0;  // non-pad counts (target counts the eos)
};

// Pads the examples at `indices` (non-empty, each in range) into one batch. The same for
// examples kept as vectors or in an EncodedCorpus (data/encoded_corpus.h: a training corpus).
Batch make_batch(const std::vector<Example>& examples, const std::vector<int64_t>& indices);
Batch make_batch(const EncodedCorpus& examples, const std::vector<int64_t>& indices);

struct BatchOptions {
  int64_t max_tokens = 4096;  // B * max(S, T) per batch, S and T including eos/bos
  int64_t max_sentences = 0;  // 0 = no cap
  int64_t max_length = 0;     // 0: keep all; else drop examples whose source or target has more ids
  bool shuffle = true;
  uint64_t seed = 1;
};

// The padded width a batch needs for one example: max(|source|, |target|) + 1.
int64_t padded_length(const Example& example);

// The batches of one epoch, each a list of example indices (see the top of this file).
std::vector<std::vector<int64_t>> plan_epoch(const std::vector<Example>& examples, const BatchOptions& options,
                                             int64_t epoch);
std::vector<std::vector<int64_t>> plan_epoch(const EncodedCorpus& examples, const BatchOptions& options, int64_t epoch);
std::vector<std::vector<int64_t>> plan_epoch(const PairLengths& lengths, const BatchOptions& options, int64_t epoch);

}  // namespace qkv::data
