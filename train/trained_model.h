// trained_model.h — a trained model ready to use, in one call: the checkpoint's model (a
// Transformer or an RnnSeq2Seq, as its options say) with its weights, in eval mode, and its
// source and target text pipelines.
//
//   train::LoadedModel m = train::load_model("runs/en-de/best.safetensors");
//   std::vector<std::string> de = m.translate({"a dog runs on the beach ."});             // greedy
//   std::vector<std::string> de5 = m.translate({"two men ."}, {.beam_size = 5});          // beam 5
//   // The 3 best of a beam of 5, each with its score (models::ScoredHypothesis):
//   auto lists = m.translate_n_best({"two men ."}, {.decode = {.beam_size = 5}, .n_best = 3});
//   lists[0].n_best[1].text, lists[0].n_best[1].score;                                    // the second best
//
// Lines the model is not given: an empty or whitespace-only line translates to "" (score 0),
// without running the model (which would invent a sentence). A line longer than the model takes
// (max_source_tokens()) throws naming it, or with TranslateOptions::truncate is cut to fit.
//
// load_model throws qkv::Error naming the file for an unreadable or corrupt checkpoint, or one
// whose weights do not fit its own options. Not here: resuming training (train/checkpoint.h has
// the optimizer and generator state for that); reading and checking input text (the caller's:
// `qkv translate` does it in apps/qkv/translate_stream.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/decoding.h"
#include "models/seq2seq.h"
#include "train/text_codec.h"

namespace qkv::train {

struct TranslateOptions {
  models::DecodeOptions decode{};
  int64_t n_best = 1;               // hypotheses per line, 1..decode.beam_size (greedy: 1)
  bool truncate = false;            // a line over max_source_tokens(): translate its first tokens
  int64_t max_batch_tokens = 3000;  // decoding batches: about this many source tokens each
};

// One hypothesis as text, with its score: the length-penalised log-probability beam search
// ranks by (models::ScoredHypothesis), natural log, <= 0; higher is better.
struct ScoredText {
  std::string text;
  double score = 0;
};

struct Translation {
  std::vector<ScoredText> n_best;  // best first: n_best of them (an empty line: one, "" with score 0)
  int64_t source_tokens = 0;       // the line's length in source tokens, before any truncation
  bool truncated = false;          // it was cut to max_source_tokens() (TranslateOptions::truncate)
  bool unfinished = false;         // the best translation reached the model's max_target_length() tokens
                                   // with no end token: it was cut there
};

struct LoadedModel {
  std::unique_ptr<models::Seq2Seq> model;
  std::shared_ptr<TextCodec> source, target;
  // How to decode when the caller does not say: the beam and length penalty `qkv finalize`
  // chose on validation (metadata decode.beam, decode.length_penalty of final.safetensors),
  // else DecodeOptions' own defaults. `qkv translate` and `qkv eval` use them unless given
  // --beam / --length-penalty.
  models::DecodeOptions decode_defaults{};

  // Every line's best translation, in the input order (lines in the source tokenizer's format).
  // Long lines throw, as in translate_n_best.
  std::vector<std::string> translate(const std::vector<std::string>& lines,
                                     const models::DecodeOptions& options = {}) const;
  // Every line's n best translations with their scores, in the input order. Throws naming the
  // line (1-based, in `lines`) and its length when one is over max_source_tokens() and
  // options.truncate is off; naming n_best and the beam when n_best is outside 1..beam_size.
  std::vector<Translation> translate_n_best(const std::vector<std::string>& lines,
                                            const TranslateOptions& options) const;

  // A line's length in source tokens (the tokenizer's, eos not counted); 0 for a blank line.
  int64_t source_tokens(std::string_view line) const;
  // The longest line the model takes, in source tokens: the Transformer's max_positions less one
  // for the eos every source ends with; INT64_MAX for the RNN, which has no positions.
  int64_t max_source_tokens() const;
};

LoadedModel load_model(const std::string& path);

// True when `line` has nothing but whitespace (Unicode's, as data/utf8.h's is_unicode_space).
bool is_blank(std::string_view line);

}  // namespace qkv::train
