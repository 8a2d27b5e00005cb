// model_loader.h — a trained model ready to use: the checkpoint's Transformer with its
// weights, and its source and target text pipelines.
#pragma once

#include <memory>
#include <string>

#include "models/transformer.h"
#include "train/checkpoint.h"

namespace qkv::cli {

struct LoadedModel {
  std::unique_ptr<models::Transformer> model;
  std::shared_ptr<train::TextCodec> source, target;
};

inline LoadedModel load_model(const std::string& path) {
  const train::LoadedCheckpoint checkpoint = train::load_checkpoint(path);
  LoadedModel out;
  out.model = std::make_unique<models::Transformer>(checkpoint.options.model);
  train::restore_model(checkpoint, *out.model);
  out.model->eval();
  out.source = checkpoint.source;
  out.target = checkpoint.target;
  return out;
}

}  // namespace qkv::cli
