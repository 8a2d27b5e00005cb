// trained_model.h — a trained model ready to use, in one call: the checkpoint's model (a
// Transformer or an RnnSeq2Seq, as its options say) with its weights, in eval mode, and its
// source and target text pipelines.
//
//   train::LoadedModel m = train::load_model("runs/en-de/best.safetensors");
//   std::vector<std::string> de = m.translate({"a dog runs on the beach ."});             // greedy
//   std::vector<std::string> de5 = m.translate({"two men ."}, {.beam_size = 5});          // beam 5
//
// Throws qkv::Error naming the file for an unreadable or corrupt checkpoint, or one whose
// weights do not fit its own options. Not here: resuming training (train/checkpoint.h has the
// optimizer and generator state for that).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/decoding.h"
#include "models/seq2seq.h"
#include "train/text_codec.h"

namespace qkv::train {

struct LoadedModel {
  std::unique_ptr<models::Seq2Seq> model;
  std::shared_ptr<TextCodec> source, target;

  // Translates every line (in the source tokenizer's format), in the input order; the same as
  // translate_lines (train/evaluate.h) on this model and its pipelines.
  std::vector<std::string> translate(const std::vector<std::string>& lines,
                                     const models::DecodeOptions& options = {}) const;
};

LoadedModel load_model(const std::string& path);

}  // namespace qkv::train
