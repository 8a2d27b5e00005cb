// average_test.cpp — qkv average: the mean of several checkpoints' weights, kept epochs from
// --keep-checkpoints, refusal of checkpoints of different models and of resuming an average.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "train/average.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace qkv;
using Catch::Contains;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("qkv-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& file) const { return (path / file).string(); }
};

// A tiny copy task: every target line equals its source line.
train::TrainOptions tiny_run(const TempDir& dir, int64_t d_model) {
  {
    std::ofstream s(dir / "src"), t(dir / "tgt");
    Generator gen(4);
    for (int n = 0; n < 60; ++n) {
      std::string line;
      for (int k = 0; k < 4; ++k) line += std::string(1, static_cast<char>('a' + gen.below(6))) + (k < 3 ? " " : "");
      s << line << "\n";
      t << line << "\n";
    }
  }
  train::TrainOptions o;
  o.train_source = o.valid_source = dir / "src";
  o.train_target = o.valid_target = dir / "tgt";
  o.min_freq = 1;
  o.model.d_model = d_model;
  o.model.num_heads = 2;
  o.model.encoder_layers = 1;
  o.model.decoder_layers = 1;
  o.model.ffn_dim = 16;
  o.max_tokens = 80;
  o.epochs = 4;
  o.keep_checkpoints = 2;
  o.progress = false;
  return o;
}

}  // namespace

TEST_CASE("average: --keep-checkpoints keeps the last epochs, and their average is their mean", "[train]") {
  TempDir dir("average");
  train::TrainOptions o = tiny_run(dir, 8);
  o.out_dir = dir / "run";
  train::train(o);
  CHECK_FALSE(fs::exists(dir / "run/epoch-002.safetensors"));  // only the newest 2 stay
  REQUIRE(fs::exists(dir / "run/epoch-003.safetensors"));
  REQUIRE(fs::exists(dir / "run/epoch-004.safetensors"));

  const std::string a = dir / "run/epoch-003.safetensors", b = dir / "run/epoch-004.safetensors";
  const std::string avg = dir / "avg.safetensors";
  train::average_checkpoints({a, b}, avg);
  const Checkpoint fa = load_safetensors(a), fb = load_safetensors(b), fm = load_safetensors(avg);
  int compared = 0;
  for (const auto& [name, t] : fm.tensors) {
    if (!name.starts_with("model/")) continue;
    const Tensor mean =
        raw::mul(raw::add(raw::to_dtype(fa.at(name), Dtype::float64), raw::to_dtype(fb.at(name), Dtype::float64)), 0.5);
    const Tensor diff = raw::sub(raw::to_dtype(t, Dtype::float64), mean);
    CHECK(raw::max(raw::abs(diff)).item() <= 1e-6);
    ++compared;
  }
  CHECK(compared > 10);
  CHECK_FALSE(fm.contains("optim/step"));
  CHECK(fm.metadata.at("averaged_from") == a + "," + b);

  // The average loads like any checkpoint, but is not a run to resume.
  CHECK(train::load_checkpoint(avg).state.epoch == 4);
  CHECK_THROWS_WITH(train::resume(avg, {.progress = false}), Contains("cannot resume") && Contains("average"));

  // No file is replaced unasked: not an input (even under another name), not an existing output.
  auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string b_before = bytes(b), avg_before = bytes(avg);
  CHECK_THROWS_WITH(train::average_checkpoints({a, b}, b), Contains("is one of the inputs"));
  CHECK_THROWS_WITH(train::average_checkpoints({a, b}, dir / "run/../run/epoch-004.safetensors", true),
                    Contains("is one of the inputs"));
  CHECK_THROWS_WITH(train::average_checkpoints({a, b}, avg), Contains("already exists") && Contains("--overwrite"));
  CHECK(bytes(b) == b_before);
  CHECK(bytes(avg) == avg_before);
  train::average_checkpoints({b, a}, avg, /*overwrite=*/true);
  CHECK(load_safetensors(avg).metadata.at("averaged_from") == b + "," + a);
}

TEST_CASE("average: checkpoints of different models are refused, naming the difference", "[train]") {
  TempDir dir("average-mismatch");
  train::TrainOptions small = tiny_run(dir, 8), wide = tiny_run(dir, 12);
  small.epochs = wide.epochs = 1;
  small.out_dir = dir / "small";
  wide.out_dir = dir / "wide";
  const std::string a = train::train(small).last_checkpoint;
  const std::string b = train::train(wide).last_checkpoint;
  CHECK_THROWS_WITH(train::average_checkpoints({a, b}, dir / "x.safetensors"),
                    Contains("not the same model") && Contains("model.d_model"));
  CHECK_THROWS_WITH(train::average_checkpoints({}, dir / "x.safetensors"), Contains("no checkpoints"));
  CHECK_FALSE(fs::exists(dir / "x.safetensors"));
}
