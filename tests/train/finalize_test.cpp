// finalize_test.cpp — qkv finalize: the final weights and length penalty are the ones that
// score best on validation, final.safetensors holds exactly them, and bad runs are refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "data/corpus.h"
#include "data/raw_bpe.h"
#include "data/vocab.h"
#include "io/safetensors.h"
#include "io/test_temp_dir.h"
#include "metrics/bleu.h"
#include "tensor/random.h"
#include "train/evaluate.h"
#include "train/finalize.h"
#include "train/trained_model.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace qkv;
using Catch::Contains;

namespace {

// A tiny reversal task, trained for a few epochs with the last three kept.
std::string train_tiny_run(const test::TempDir& dir, int64_t finalize_beam = 0) {
  {
    std::ofstream s(dir.file("src")), t(dir.file("tgt"));
    Generator gen(7);
    for (int n = 0; n < 80; ++n) {
      std::vector<std::string> words;
      for (int k = 0; k < 4; ++k) words.emplace_back(1, static_cast<char>('a' + gen.below(6)));
      s << words[0] << " " << words[1] << " " << words[2] << " " << words[3] << "\n";
      t << words[3] << " " << words[2] << " " << words[1] << " " << words[0] << "\n";
    }
  }
  train::TrainOptions o;
  o.train_source = o.valid_source = dir.file("src");
  o.train_target = o.valid_target = dir.file("tgt");
  o.min_freq = 1;
  o.model.d_model = 16;
  o.model.num_heads = 2;
  o.model.encoder_layers = 1;
  o.model.decoder_layers = 1;
  o.model.ffn_dim = 32;
  o.max_tokens = 100;
  o.epochs = 5;
  o.keep_checkpoints = 3;
  o.progress = false;
  o.quiet = true;
  o.out_dir = dir.file("run");
  o.finalize_beam = finalize_beam;
  train::train(o);
  return o.out_dir;
}

}  // namespace

TEST_CASE("finalize: picks the best-scoring candidate and length penalty on validation and writes them",
          "[train][finalize]") {
  test::TempDir dir;
  const std::string run = train_tiny_run(dir);
  train::FinalizeOptions o;
  o.beam = 2;
  o.length_penalties = {0.0, 1.0, 3.0};
  std::vector<std::string> said;
  const train::FinalizeResult r = train::finalize_run(run, o, [&](std::string_view s) { said.emplace_back(s); });

  // best.safetensors, then the last 1, 2 and 3 epochs.
  REQUIRE(r.candidates.size() == 4);
  CHECK(r.candidates[0].name == "best.safetensors");
  CHECK(r.candidates[3].files.size() == 3);
  for (const auto& c : r.candidates) CHECK(c.bleu <= r.candidates[r.chosen].bleu);
  for (size_t i = 0; i < r.chosen; ++i) CHECK(r.candidates[i].bleu < r.candidates[r.chosen].bleu);  // ties: first
  REQUIRE(r.length_penalty_bleu.size() == 3);
  for (const auto& [lp, bleu] : r.length_penalty_bleu) CHECK(bleu <= r.bleu);
  CHECK(said.size() == 4 + 3 + 1);

  // final.safetensors holds the choice, and decoding it with its settings gives the reported BLEU.
  const Checkpoint file = load_safetensors(r.path);
  CHECK(file.metadata.at("decode.beam") == "2");
  CHECK(std::stod(file.metadata.at("decode.length_penalty")) == r.length_penalty);
  CHECK(file.metadata.at("selection.weights") == r.candidates[r.chosen].name);
  for (const auto& [name, t] : file.tensors) CHECK_FALSE(name.starts_with("optim/"));
  const train::LoadedModel m = train::load_model(r.path);
  CHECK(m.decode_defaults.beam_size == 2);  // what translate and eval use when not told
  CHECK(m.decode_defaults.length_penalty == r.length_penalty);
  const data::ParallelCorpus valid = data::read_parallel(dir.file("src"), dir.file("tgt"));
  const auto hyps = m.translate(valid.source, {.beam_size = 2, .length_penalty = r.length_penalty});
  CHECK(metrics::corpus_bleu(hyps, valid.target).score == Approx(r.bleu).margin(1e-9));

  SECTION("an existing final.safetensors is replaced only when asked") {
    const auto before = fs::last_write_time(r.path);
    CHECK_THROWS_WITH(train::finalize_run(run, o), Contains("already exists") && Contains("--overwrite"));
    CHECK(fs::last_write_time(r.path) == before);
    o.overwrite = true;
    CHECK(train::finalize_run(run, o).bleu == Approx(r.bleu).margin(1e-9));
  }
}

TEST_CASE("finalize: refuses a directory with nothing to choose from, and bad settings, writing nothing",
          "[train][finalize]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(train::finalize_run(dir.path(), {}),
                    Contains("neither best.safetensors nor epoch-NNN.safetensors") && Contains("--keep-checkpoints"));
  CHECK_THROWS_WITH(train::finalize_run(dir.file("missing"), {}), Contains("is not a run directory"));
  train::FinalizeOptions bad;
  bad.length_penalties = {0.6, std::nan("")};
  CHECK_THROWS_WITH(train::finalize_run(dir.path(), bad), Contains("length penalty must be in 0..10"));
  bad.length_penalties = {};
  CHECK_THROWS_WITH(train::finalize_run(dir.path(), bad), Contains("lists no value"));
  bad = {};
  bad.beam = 0;
  CHECK_THROWS_WITH(train::finalize_run(dir.path(), bad), Contains("--beam must be in 1..1000, got 0"));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("finalize: qkv train --finalize B writes final.safetensors at the end of the run", "[train][finalize]") {
  test::TempDir dir;
  const std::string run = train_tiny_run(dir, 3);
  const Checkpoint file = load_safetensors(run + "/final.safetensors");
  CHECK(file.metadata.at("decode.beam") == "3");
  CHECK(file.metadata.at("train.finalize_beam") == "3");
  CHECK(train::load_model(run + "/best.safetensors").decode_defaults.beam_size == 1);  // no recommendation there
}

TEST_CASE("validation BLEU: raw-text runs are scored as sacreBLEU scores them, tokenised runs on their tokens",
          "[train][finalize]") {
  const std::vector<std::string> lines = {"Ein Hund läuft am Strand.", "Zwei Männer sitzen."};
  const train::TextCodec raw(data::learn_raw_bpe(lines, {.vocab_size = 300, .min_char_count = 1}),
                             data::Vocab::build({{"a"}}, 1));
  const train::TextCodec words(data::make_whitespace_tokenizer(), data::Vocab::build({{"a"}}, 1));
  const std::vector<std::string> hyp = {"Ein Hund läuft am Strand.", "Zwei Männer sitzen hier."};
  const std::vector<std::string> ref = {"Ein Hund läuft am Strand .", "Zwei Männer sitzen ."};
  const double sacre = metrics::corpus_bleu(hyp, ref, {}).score;  // 13a splits "Strand." as the reference
  const double tokens = metrics::corpus_bleu(hyp, ref).score;
  REQUIRE(sacre != Approx(tokens));
  CHECK(train::validation_bleu(raw, hyp, ref) == sacre);
  CHECK(train::validation_bleu(words, hyp, ref) == tokens);
}
