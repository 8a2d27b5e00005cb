// translation_batches.h — grouping sentences for decoding: sorted by length, in batches of about
// `max_batch_tokens` source tokens, so little of each batch is padding. Used by translate_lines
// (train/evaluate.h) and LoadedModel::translate_n_best (train/trained_model.h).
#pragma once

#include <cstdint>
#include <vector>

#include "models/decoding.h"
#include "models/seq2seq.h"

namespace qkv::train {

// Indices into `lengths` (each sentence's source length, eos included), grouped: shortest
// first, each group at most `max_batch_tokens` tokens once padded to its longest member
// (a longer sentence is a group of its own). Every index appears exactly once.
std::vector<std::vector<size_t>> plan_translation_batches(const std::vector<int64_t>& lengths,
                                                          int64_t max_batch_tokens);

// Each sentence's n-best list (models::translate_n_best), decoded in the batches above; in the
// input order. A sentence is its ids without eos (make_source_batch adds it).
std::vector<std::vector<models::ScoredHypothesis>> decode_in_batches(models::Seq2Seq& model,
                                                                     const std::vector<std::vector<int64_t>>& ids,
                                                                     const models::DecodeOptions& options,
                                                                     int64_t n_best, int64_t max_batch_tokens);

}  // namespace qkv::train
