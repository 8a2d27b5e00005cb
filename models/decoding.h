// decoding.h — turning a source batch into target token ids with a trained model (any Seq2Seq:
// the Transformer or the recurrent one): greedy decoding and batched beam search, both
// incremental (each step feeds one new token per hypothesis through the decoder, which keeps
// what it needs in its DecodingState: cached keys/values, recurrent states; seq2seq.h).
//
//   DecodeOptions opts;  opts.beam_size = 5;
//   std::vector<std::vector<int64_t>> ids = translate(model, src, src_padding, opts);
//
// Both run under NoGradGuard and in eval mode (the model's mode is restored afterwards), and
// return per sentence the generated ids without bos and eos. A sentence's result does not
// depend on the other sentences in the batch. Step limit per sentence: max_length, or when it
// is 0 the sentence's own (unpadded) source length + 50; never more than model.max_target_length().
//
// Beam search keeps beam_size live hypotheses per sentence. Each step extends every one by
// every token, and the best of them go on, ranked by log P; a hypothesis that ends with eos
// finishes with the score log P / ((5 + len) / 6)^α (GNMT's length penalty, len counting the
// eos), and the best-scoring finished hypothesis is the sentence's answer. The steps and the
// exact rules (which eos candidates finish, when a sentence is over) are in beam_search.cpp.
// With beam_size 1 this is exactly greedy decoding (tested). Finished sentences leave the
// batch, so late steps run on fewer rows.
//
// translate_n_best returns, per sentence, the best n finished hypotheses with their scores
// (the same penalised log P, natural log; greedy decoding scores its one hypothesis the same
// way, so beam_size 1 agrees with it).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "models/seq2seq.h"
#include "tensor/tensor.h"

namespace qkv::models {

struct DecodeOptions {
  int64_t beam_size = 1;        // 1..1000
  double length_penalty = 0.6;  // GNMT alpha: score / ((5+len)/6)^alpha; 0..10, finite
  int64_t max_length = 0;       // 0: source length + 50; at most 100,000
  int64_t bos = 2, eos = 3, pad = 0;
};

// Throws naming `who`, the field and its valid range when an option is outside it (a NaN
// length penalty would silently reorder the beam; a beam of 10^11 allocates until memory
// runs out). Every decoding entry point below calls it.
void validate(const DecodeOptions& options, std::string_view who);

// A finished hypothesis: ids without bos and eos, and its score Σ log P / ((5 + len)/6)^α,
// where the sum runs over its tokens and the eos that ended it (len counts that eos; a
// hypothesis stopped by the step limit has none). Scores are <= 0; higher is better.
struct ScoredHypothesis {
  std::vector<int64_t> ids;
  double score = 0;
};

// src (B, S) int64, src_padding (B, S) bool (true = pad; may be undefined) → B id lists.
std::vector<std::vector<int64_t>> greedy_decode(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                                const DecodeOptions& options);
std::vector<std::vector<int64_t>> beam_search(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                              const DecodeOptions& options);
// greedy_decode if beam_size == 1, else beam_search.
std::vector<std::vector<int64_t>> translate(Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                            const DecodeOptions& options);

// Per sentence, its n_best best hypotheses, best first (equal scores: the first to finish
// first, so element 0 is what translate returns). 1 <= n_best <= beam_size (greedy decoding,
// beam_size 1, has one); a sentence gets fewer only when the target vocabulary has fewer
// than 2·beam_size tokens. Throws naming n_best and beam_size otherwise.
std::vector<std::vector<ScoredHypothesis>> translate_n_best(Seq2Seq& model, const Tensor& src,
                                                            const Tensor& src_padding, const DecodeOptions& options,
                                                            int64_t n_best);
std::vector<std::vector<ScoredHypothesis>> beam_search_n_best(Seq2Seq& model, const Tensor& src,
                                                              const Tensor& src_padding, const DecodeOptions& options,
                                                              int64_t n_best);

// The per-sentence step limits described above (checks src and src_padding).
std::vector<int64_t> decode_length_limits(const Seq2Seq& model, const Tensor& src, const Tensor& src_padding,
                                          const DecodeOptions& options);

}  // namespace qkv::models
