// model_loader.h — a trained model ready to use: the checkpoint's model (a Transformer or an
// RnnSeq2Seq, as its options say) with its weights, and its source and target text pipelines.
#pragma once

#include <memory>
#include <string>

#include "train/checkpoint.h"
#include "train/model_factory.h"

namespace qkv::cli {

struct LoadedModel {
  std::unique_ptr<models::Seq2Seq> model;
  std::shared_ptr<train::TextCodec> source, target;
};

inline LoadedModel load_model(const std::string& path) {
  const train::LoadedCheckpoint checkpoint = train::load_checkpoint(path);
  LoadedModel out;
  out.model = train::make_model(checkpoint.options);
  train::restore_model(checkpoint, *out.model);
  out.model->eval();
  out.source = checkpoint.source;
  out.target = checkpoint.target;
  return out;
}

}  // namespace qkv::cli
