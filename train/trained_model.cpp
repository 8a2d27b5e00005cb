// trained_model.cpp — a checkpoint's model rebuilt from its options and filled with its weights.
#include "train/trained_model.h"

#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/model_factory.h"

namespace qkv::train {

LoadedModel load_model(const std::string& path) {
  const LoadedCheckpoint checkpoint = load_checkpoint(path);
  LoadedModel out;
  out.model = make_model(checkpoint.options);
  restore_model(checkpoint, *out.model);
  out.model->eval();
  out.source = checkpoint.source;
  out.target = checkpoint.target;
  return out;
}

std::vector<std::string> LoadedModel::translate(const std::vector<std::string>& lines,
                                                const models::DecodeOptions& options) const {
  return translate_lines(*model, *source, *target, lines, options);
}

}  // namespace qkv::train
