// checkpoint.cpp — save and restore a whole training run (see checkpoint.h for the layout).
#include "train/checkpoint.h"

#include <bit>
#include <functional>

#include <fmt/format.h>

#include "io/module_checkpoint.h"
#include "qkv_version.h"
#include "tensor/error.h"
#include "tensor/factories.h"
#include "train/checkpoint_checks.h"

namespace qkv::train {
namespace {

constexpr const char* kFormat = "qkv-training-checkpoint-1";

// Every Generator in a module tree, by dotted name (the dropout layers' random streams).
std::vector<std::pair<std::string, Generator*>> named_generators(Module& root) {
  struct Visitor : ModuleVisitor {
    std::vector<std::pair<std::string, Generator*>> out;
    std::string prefix;
    void generator(std::string_view name, Generator& gen) override {
      out.emplace_back(prefix + std::string(name), &gen);
    }
    void module(std::string_view name, Module& child) override {
      const std::string saved = prefix;
      prefix += std::string(name) + ".";
      child.visit(*this);
      prefix = saved;
    }
  } v;
  root.visit(v);
  return std::move(v.out);
}

const std::string& require(const Checkpoint& file, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) {
    throw Error(
        fmt::format("checkpoint '{}': metadata '{}' is missing (is this a qkv training checkpoint?)", file.path, key));
  }
  return it->second;
}

double parse_number(const Checkpoint& file, const std::string& key) {
  const std::string& text = require(file, key);
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(fmt::format("checkpoint '{}': metadata '{}' is not a number: '{}'", file.path, key, text));
}

std::shared_ptr<TextCodec> load_codec(const Checkpoint& file, const std::string& side) {
  try {
    return std::make_shared<TextCodec>(data::deserialize_tokenizer(require(file, side + ".tokenizer")),
                                       data::Vocab::deserialize(require(file, side + ".vocab")));
  } catch (const Error& e) {
    throw Error(fmt::format("checkpoint '{}': the {} text pipeline is unreadable: {}", file.path, side, e.what()));
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainOptions& options, const TrainingState& state,
                     const TextCodec& source, const TextCodec& target, Module& model, const Optimizer* optimizer) {
  NamedTensors tensors;
  Metadata metadata = options.to_metadata();
  metadata["format"] = kFormat;
  metadata["qkv.version"] = QKV_VERSION;  // the qkv that wrote it (qkv_version.h)
  for (auto& [name, t] : model.named_parameters()) tensors.emplace_back("model/" + name, t.detach());
  for (auto& [name, t] : model.named_buffers()) tensors.emplace_back("model/" + name, t);
  for (auto& [name, gen] : named_generators(model)) {
    std::vector<int64_t> words;
    for (uint64_t w : gen->state()) words.push_back(std::bit_cast<int64_t>(w));
    tensors.emplace_back("rng/" + name, from_vector(words));
  }
  if (optimizer != nullptr) {
    const OptimizerState os = optimizer->state();
    metadata["optim.name"] = os.optimizer;
    for (const auto& [k, v] : os.scalars) metadata["optim." + k] = fmt::format("{:.17g}", v);
    for (const auto& [k, t] : os.tensors) tensors.emplace_back("optim/" + k, t);
  }
  models::write_fields(training_state_fields, state, models::DoubleText::digits17, metadata, "state.");
  for (const auto& [key, fingerprint] : state.data) metadata["data." + key] = fingerprint;
  metadata["source.tokenizer"] = source.tokenizer().serialize();
  metadata["source.vocab"] = source.vocab().serialize();
  metadata["target.tokenizer"] = target.tokenizer().serialize();
  metadata["target.vocab"] = target.vocab().serialize();
  save_safetensors(path, tensors, metadata);
}

LoadedCheckpoint load_checkpoint(const std::string& path) {
  LoadedCheckpoint out;
  out.file = load_safetensors(path);
  const std::string& format = require(out.file, "format");
  if (format != kFormat) {
    throw Error(fmt::format("checkpoint '{}': format '{}', expected '{}'", path, format, kFormat));
  }
  try {
    out.options = TrainOptions::from_metadata(out.file.metadata);
  } catch (const Error& e) {
    throw Error(fmt::format("checkpoint '{}': {}", path, e.what()));
  }
  models::read_fields(training_state_fields,
                      models::MetadataReader(fmt::format("checkpoint '{}'", path), out.file.metadata), out.state,
                      "state.");
  for (const auto& [key, value] : out.file.metadata) {
    if (key.starts_with("data.")) out.state.data[key.substr(5)] = value;
  }
  out.source = load_codec(out.file, "source");
  out.target = load_codec(out.file, "target");
  check_checkpoint_invariants(out);
  return out;
}

void restore_model(const LoadedCheckpoint& checkpoint, Module& model) {
  Checkpoint weights;
  weights.path = checkpoint.file.path;
  for (const auto& [name, t] : checkpoint.file.tensors) {
    if (name.starts_with("model/")) weights.tensors.emplace_back(name.substr(6), t);
  }
  load_module(weights, model);
}

void restore_optimizer(const LoadedCheckpoint& checkpoint, Optimizer& optimizer) {
  const Checkpoint& file = checkpoint.file;
  OptimizerState os;
  os.optimizer = require(file, "optim.name");
  for (const auto& [key, value] : file.metadata) {
    if (key.starts_with("optim.") && key != "optim.name") os.scalars[key.substr(6)] = parse_number(file, key);
  }
  for (const auto& [name, t] : file.tensors) {
    if (name.starts_with("optim/")) os.tensors[name.substr(6)] = t;
  }
  try {
    optimizer.load_state(os);
  } catch (const Error& e) {
    throw Error(fmt::format("checkpoint '{}': optimizer state does not fit: {}", file.path, e.what()));
  }
}

void restore_generators(const LoadedCheckpoint& checkpoint, Module& model) {
  const auto generators = named_generators(model);
  std::vector<std::array<uint64_t, 4>> states;
  for (const auto& [name, gen] : generators) {
    const std::string key = "rng/" + name;
    if (!checkpoint.file.contains(key)) {
      throw Error(
          fmt::format("checkpoint '{}': no random state '{}' for the model's generator", checkpoint.file.path, key));
    }
    const Tensor& t = checkpoint.file.at(key);
    if (t.dtype() != Dtype::int64 || t.numel() != 4) {
      throw Error(fmt::format("checkpoint '{}': random state '{}' must be 4 int64, got {} {}", checkpoint.file.path,
                              key, t.dtype(), t.shape()));
    }
    std::array<uint64_t, 4> s{};
    const auto words = to_vector<int64_t>(t);
    for (int i = 0; i < 4; ++i) s[i] = std::bit_cast<uint64_t>(words[i]);
    states.push_back(s);
  }
  for (size_t i = 0; i < generators.size(); ++i) generators[i].second->set_state(states[i]);
}

}  // namespace qkv::train
