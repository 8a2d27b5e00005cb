// fuzz_checkpoint_metadata.cpp — a checkpoint's metadata on the way to a model: the strings of
// a safetensors "__metadata__" object read into TrainOptions (train.*), TransformerConfig or
// RnnSeq2SeqConfig (model.*), TrainingState (state.*) and the two text pipelines (tokenizer and
// vocab text), then the model those options describe (train/checkpoint.h, train/trained_model.h).
//
// An input is the JSON text of the metadata object, {"format": "qkv-training-checkpoint-1",
// "train.lr": "0.001", ...}; anything but an object of strings is skipped (fuzz_safetensors
// covers the JSON itself). The target writes a safetensors file holding that metadata and no
// tensors and loads it with load_checkpoint, then load_model, which builds the model and must
// refuse the missing weights with qkv::Error. Properties of an accepted checkpoint: its options
// and its pipelines survive their own round trip (to_metadata / serialize, then back).
//
// Models with more than kMaxParameters parameters are not built: allocating what the options
// ask for is not parsing, and a fuzzer that asks for terabytes only finds malloc's limit.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "train/checkpoint.h"
#include "train/trained_model.h"

namespace {

using namespace qkv;

constexpr double kMaxParameters = 2e6;

// An upper bound on the parameter count, from the widest width (so it errs on the large side).
double parameter_bound(const train::TrainOptions& o) {
  if (o.arch == train::Arch::rnn) {
    const auto& c = o.rnn;
    const double w = static_cast<double>(std::max({c.embedding_dim, c.encoder_dim(), c.decoder_hidden}));
    const double layers = static_cast<double>(c.encoder_layers + c.decoder_layers);
    return static_cast<double>(c.source_vocab + c.target_vocab) * 2 * w + layers * 16 * w * w + 16 * w * w;
  }
  const auto& c = o.model;
  const double w = static_cast<double>(std::max(c.d_model, c.ffn_dim));
  const double layers = static_cast<double>(c.encoder_layers + c.decoder_layers);
  return static_cast<double>(c.source_vocab + c.target_vocab + c.max_positions) * 2 * w + layers * 12 * w * w;
}

// A safetensors file holding only `metadata` (a JSON object of strings).
std::string file_with_metadata(const nlohmann::json& metadata) {
  const std::string header = nlohmann::json{{"__metadata__", metadata}}.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header;
}

void check_round_trips(const train::LoadedCheckpoint& c) {
  const auto metadata = c.options.to_metadata();
  if (train::TrainOptions::from_metadata(metadata).to_metadata() != metadata) {
    fuzz::property_failed("TrainOptions changed in a to_metadata / from_metadata round trip");
  }
  for (const auto* codec : {c.source.get(), c.target.get()}) {
    const std::string tokenizer = codec->tokenizer().serialize(), vocab = codec->vocab().serialize();
    if (data::deserialize_tokenizer(tokenizer)->serialize() != tokenizer) {
      fuzz::property_failed("a tokenizer changed in a serialize / deserialize round trip");
    }
    if (data::Vocab::deserialize(vocab).serialize() != vocab) {
      fuzz::property_failed("a vocabulary changed in a serialize / deserialize round trip");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json metadata = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, /*allow_exceptions=*/false);
  if (!metadata.is_object()) return 0;
  for (const auto& [key, value] : metadata.items()) {
    if (!value.is_string()) return 0;
  }
  static fuzz::MemoryFile file;
  file.set(file_with_metadata(metadata));
  train::LoadedCheckpoint checkpoint;
  if (!fuzz::expect_errors([&] { checkpoint = train::load_checkpoint(file.path()); })) return 0;
  check_round_trips(checkpoint);
  if (parameter_bound(checkpoint.options) > kMaxParameters) return 0;
  // No tensors in the file: the model must be built (or refused) and the weights found missing.
  if (fuzz::expect_errors([&] { train::load_model(file.path()); })) {
    fuzz::property_failed("load_model accepted a checkpoint without weights");
  }
  return 0;
}
