// init_from_test.cpp — qkv train --init-from: a new run starts from a checkpoint's weights and
// vocabularies, trains on its own data with a fresh optimizer and step count, and model options
// that would change the checkpoint's shape are refused by name.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "train/checkpoint.h"
#include "train/init_from.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace qkv;

namespace {

// Source: random words from `words`; target: the same words reversed.
void write_pairs(const std::string& path, const std::vector<std::string>& words, int lines, uint64_t seed) {
  Generator gen(seed);
  std::ofstream out(path);
  for (int n = 0; n < lines; ++n) {
    std::vector<std::string> line;
    for (int k = 0, len = 3 + static_cast<int>(gen.below(4)); k < len; ++k)
      line.push_back(words[gen.below(words.size())]);
    for (size_t k = 0; k < line.size(); ++k) out << line[k] << (k + 1 < line.size() ? " " : "\t");
    for (size_t k = line.size(); k-- > 0;) out << line[k] << (k > 0 ? " " : "\n");
  }
}

// The largest difference between the model weights of two checkpoints.
double max_weight_difference(const std::string& a, const std::string& b) {
  const Checkpoint fa = load_safetensors(a), fb = load_safetensors(b);
  double worst = 0;
  for (const auto& [name, t] : fa.tensors) {
    if (!name.starts_with("model/")) continue;
    const Tensor diff = raw::sub(raw::to_dtype(t, Dtype::float64), raw::to_dtype(fb.at(name), Dtype::float64));
    worst = std::max(worst, raw::max(raw::abs(diff)).item());
  }
  return worst;
}

}  // namespace

TEST_CASE("init-from: a new run starts from the checkpoint's weights and vocabularies, on its own data", "[train]") {
  const fs::path dir = fs::temp_directory_path() / ("qkv-init-from-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto at = [&](const char* name) { return (dir / name).string(); };
  write_pairs(at("old.tsv"), {"a", "b", "c", "d", "e", "f"}, 100, 1);
  write_pairs(at("new.tsv"), {"a", "b", "c", "x", "y", "z", "w"}, 40, 2);  // x..w are unknown to the old vocabularies

  train::TrainOptions o;
  o.train_tsv = o.valid_tsv = at("old.tsv");
  o.train_source = o.train_target = o.valid_source = o.valid_target = "";
  o.min_freq = 1;
  o.model.d_model = 16;
  o.model.num_heads = 2;
  o.model.encoder_layers = o.model.decoder_layers = 1;
  o.model.ffn_dim = 32;
  o.max_tokens = 100;
  o.warmup_steps = 5;
  o.epochs = 2;
  o.valid_sentences = 4;
  o.progress = false;
  o.quiet = true;
  o.out_dir = at("old");
  const train::TrainResult old = train::train(o);
  REQUIRE(old.state.step > 10);

  // The new run: new data and recipe, one update at a learning rate too small to move a weight
  // by more than ~1e-9, so its saved weights are the checkpoint's.
  train::TrainOptions n = o;
  n.train_tsv = at("new.tsv");
  n.lr = 1e-9;
  n.max_steps = 1;
  n.seed = 99;  // a fresh initialisation would differ
  n.out_dir = at("new");
  const train::TrainResult fine = train::train_from(n, old.last_checkpoint);
  CHECK(fine.state.step == 1);  // a fresh step count, not the checkpoint's
  CHECK(max_weight_difference(fine.last_checkpoint, old.last_checkpoint) < 1e-6);

  n.out_dir = at("fresh");
  const train::TrainResult fresh = train::train(n);  // the same run without --init-from
  const train::LoadedCheckpoint loaded_fine = train::load_checkpoint(fine.last_checkpoint);
  const train::LoadedCheckpoint loaded_old = train::load_checkpoint(old.last_checkpoint);
  const train::LoadedCheckpoint loaded_fresh = train::load_checkpoint(fresh.last_checkpoint);
  CHECK(loaded_fine.target->vocab().size() == loaded_old.target->vocab().size());  // the checkpoint's vocabulary
  CHECK(loaded_fresh.target->vocab().size() > loaded_old.target->vocab().size());  // x..w learned afresh
  CHECK(loaded_fine.options.train_tsv == at("new.tsv"));                           // trained on the new data
  CHECK(loaded_fine.options.lr == 1e-9);
  fs::remove_all(dir);
}

TEST_CASE("init-from: model options that would change the checkpoint's shape are refused by name", "[train]") {
  train::TrainOptions checkpoint;
  checkpoint.model.d_model = 128;
  checkpoint.model.dropout = 0.3;
  checkpoint.min_freq = 3;
  train::TrainOptions given;  // d_model 256, dropout 0.1, min_freq 2
  given.lr = 5e-4;

  // Nothing given: the checkpoint's model options, the run's own recipe.
  const auto none = [](std::string_view) { return false; };
  train::TrainOptions o = train::options_for_init_from(given, checkpoint, none);
  CHECK(o.model.d_model == 128);
  CHECK(o.model.dropout == 0.3);
  CHECK(o.min_freq == 3);
  CHECK(o.lr == 5e-4);

  // Dropout may change; the same value as the checkpoint's is not a conflict.
  given.model.dropout = 0.2;
  given.model.d_model = 128;
  o = train::options_for_init_from(given, checkpoint,
                                   [](std::string_view f) { return f == "--dropout" || f == "--d-model"; });
  CHECK(o.model.dropout == 0.2);

  given.model.d_model = 256;
  given.model.pre_norm = true;
  CHECK_THROWS_WITH(train::options_for_init_from(
                        given, checkpoint,
                        [](std::string_view f) { return f == "--d-model" || f == "--pre-norm" || f == "--min-freq"; }),
                    Catch::Contains("--min-freq 2 (the checkpoint has 3)") &&
                        Catch::Contains("--d-model 256 (the checkpoint has 128)") &&
                        Catch::Contains("--pre-norm true (the checkpoint has false)"));
}
