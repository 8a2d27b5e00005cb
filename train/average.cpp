// average.cpp — mean of several checkpoints' weights (see average.h).
#include "train/average.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <system_error>

#include "io/safetensors.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "train/checkpoint.h"

namespace qkv::train {
namespace {

// The metadata that must agree between averaged checkpoints: the model's options and the
// text pipelines (the data and recipe may differ, e.g. a fine-tuned copy).
bool must_match(const std::string& key) {
  return key.starts_with("model.") || key.starts_with("source.") || key.starts_with("target.") || key == "format" ||
         key == "train.arch";
}

void check_same_model(const Checkpoint& first, const Checkpoint& other) {
  for (const auto& [key, value] : first.metadata) {
    if (!must_match(key)) continue;
    const auto it = other.metadata.find(key);
    check(it != other.metadata.end() && it->second == value,
          "qkv average: '{}' and '{}' are not the same model: metadata '{}' differs ('{}' vs '{}')", first.path,
          other.path, key, value, it == other.metadata.end() ? "missing" : it->second);
  }
}

// The "model/..." tensors of a checkpoint, by name.
std::map<std::string, Tensor> weights(const Checkpoint& file) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : file.tensors) {
    if (name.starts_with("model/")) out.emplace(name, t);
  }
  return out;
}

}  // namespace

Checkpoint average_weights(const std::vector<LoadedCheckpoint>& loaded) {
  check(!loaded.empty(), "qkv average: no checkpoints given");
  const Checkpoint& first = loaded.front().file;
  const std::map<std::string, Tensor> first_weights = weights(first);

  std::map<std::string, Tensor> sums;  // float64 running sums
  for (const auto& [name, t] : first_weights) sums.emplace(name, raw::to_dtype(t, Dtype::float64));
  for (size_t i = 1; i < loaded.size(); ++i) {
    const Checkpoint& file = loaded[i].file;
    check_same_model(first, file);
    const std::map<std::string, Tensor> w = weights(file);
    check(w.size() == first_weights.size(), "qkv average: '{}' has {} weight tensors, '{}' has {}", file.path, w.size(),
          first.path, first_weights.size());
    for (const auto& [name, t] : first_weights) {
      const auto it = w.find(name);
      check(it != w.end(), "qkv average: '{}' has no tensor '{}' (it is in '{}')", file.path, name, first.path);
      check(it->second.shape() == t.shape() && it->second.dtype() == t.dtype(),
            "qkv average: tensor '{}' is {} {} in '{}' but {} {} in '{}'", name, it->second.dtype(), it->second.shape(),
            file.path, t.dtype(), t.shape(), first.path);
      raw::add_(sums.at(name), raw::to_dtype(it->second, Dtype::float64));
    }
  }

  const Checkpoint& last = loaded.back().file;
  Checkpoint out;
  out.path = last.path;
  const double scale = 1.0 / static_cast<double>(loaded.size());
  for (const auto& [name, t] : last.tensors) {
    if (name.starts_with("model/")) {
      out.tensors.emplace_back(name, raw::to_dtype(raw::mul(sums.at(name), scale), t.dtype()));
    } else if (name.starts_with("rng/")) {
      out.tensors.emplace_back(name, t);  // dropout streams: kept so the file loads like any checkpoint
    }                                     // "optim/...": dropped, an average has no optimizer state
  }
  for (const auto& [key, value] : last.metadata) {
    if (!key.starts_with("optim.")) out.metadata.emplace(key, value);
  }
  std::string from;
  for (const LoadedCheckpoint& c : loaded) from += (from.empty() ? "" : ",") + c.file.path;
  out.metadata["averaged_from"] = from;
  return out;
}

void average_checkpoints(const std::vector<std::string>& inputs, const std::string& output, bool overwrite) {
  check(!inputs.empty(), "qkv average: no checkpoints given");
  std::error_code ec;
  if (std::filesystem::exists(output, ec)) {
    for (const std::string& in : inputs) {
      check(!std::filesystem::equivalent(in, output, ec),
            "qkv average: the output '{}' is one of the inputs ('{}'); "
            "write the average to a new file",
            output, in);
    }
    check(overwrite, "qkv average: '{}' already exists; give --overwrite to replace it, or another --out", output);
  }
  std::vector<LoadedCheckpoint> loaded;
  for (const std::string& path : inputs) loaded.push_back(load_checkpoint(path));
  const Checkpoint average = average_weights(loaded);
  save_safetensors(output, average.tensors, average.metadata);
}

}  // namespace qkv::train
