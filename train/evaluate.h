// evaluate.h — using a model on text: translate lines in length-sorted batches, and the
// validation figures the trainer reports each epoch (loss, perplexity, BLEU, chrF).
#pragma once

#include <string>
#include <vector>

#include "data/batching.h"
#include "models/decoding.h"
#include "models/seq2seq.h"
#include "train/text_codec.h"

namespace qkv::train {

// Source id sequences as a padded batch: ids + <eos>, then <pad>.
struct SourceBatch {
  Tensor source;          // (B, S) int64
  Tensor source_padding;  // (B, S) bool, true = pad
};
SourceBatch make_source_batch(const std::vector<std::vector<int64_t>>& ids);

// Translates every line (in the source tokenizer's format) and returns the target lines, in
// the input order. Lines are sorted by length and decoded in batches of about
// `max_batch_tokens` source tokens, so little time goes into padding.
std::vector<std::string> translate_lines(models::Seq2Seq& model, const TextCodec& source, const TextCodec& target,
                                         const std::vector<std::string>& lines, const models::DecodeOptions& options,
                                         int64_t max_batch_tokens = 3000);

// The BLEU a run is validated and finalized by: on raw text (a lossless subword model,
// rawbpe or sentencepiece) sacreBLEU's default (13a, cased), as the output will be scored;
// on tokenised text its own tokens (tokenize none, no smoothing).
double validation_bleu(const TextCodec& target, const std::vector<std::string>& hypotheses,
                       const std::vector<std::string>& references);

struct Validation {
  double loss = 0;  // mean cross-entropy per target token (no label smoothing), nats
  double ppl = 0;   // exp(loss)
  double bleu = 0;  // corpus BLEU of the decoded sentences against the references
  double chrf = 0;
};

// Loss over all `examples` (teacher forcing), then BLEU/chrF of translating `source_lines`
// against `reference_lines`. Runs in eval mode without recording gradients; restores the mode.
Validation validate(models::Seq2Seq& model, const std::vector<data::Example>& examples, const TextCodec& source,
                    const TextCodec& target, const std::vector<std::string>& source_lines,
                    const std::vector<std::string>& reference_lines, const models::DecodeOptions& options,
                    int64_t max_tokens);

}  // namespace qkv::train
