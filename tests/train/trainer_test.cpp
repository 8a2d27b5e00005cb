// trainer_test.cpp — qkv train on a tiny synthetic corpus, with the Transformer and with the RNN
// (--arch rnn): a run stopped part-way and resumed from its checkpoint produces exactly the loss
// curve of an uninterrupted run; checkpoints round-trip, architecture included; the metrics log
// and the curve images are written; bad options are rejected.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "models/rnn_seq2seq.h"
#include "tensor/random.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/interrupt.h"
#include "train/metrics_log.h"
#include "train/model_factory.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace qkv;

namespace {

// A fresh directory under the system temp dir, removed at the end of the test.
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

// Source: random words; target: the same words reversed (a task a tiny model can learn).
void write_reverse_corpus(const std::string& src, const std::string& tgt, int lines, uint64_t seed) {
  const std::vector<std::string> words = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  Generator gen(seed);
  std::ofstream s(src), t(tgt);
  for (int n = 0; n < lines; ++n) {
    const auto len = 3 + static_cast<int>(gen.below(5));
    std::vector<std::string> line;
    for (int k = 0; k < len; ++k) line.push_back(words[gen.below(words.size())]);
    for (int k = 0; k < len; ++k) s << line[static_cast<size_t>(k)] << (k + 1 < len ? " " : "\n");
    for (int k = len - 1; k >= 0; --k) t << line[static_cast<size_t>(k)] << (k > 0 ? " " : "\n");
  }
}

train::TrainOptions tiny_options(const TempDir& dir) {
  write_reverse_corpus(dir / "train.src", dir / "train.tgt", 120, 1);
  write_reverse_corpus(dir / "valid.src", dir / "valid.tgt", 12, 2);
  train::TrainOptions o;
  o.train_source = dir / "train.src";
  o.train_target = dir / "train.tgt";
  o.valid_source = dir / "valid.src";
  o.valid_target = dir / "valid.tgt";
  o.min_freq = 1;
  o.model.d_model = 16;
  o.model.num_heads = 2;
  o.model.encoder_layers = 1;
  o.model.decoder_layers = 1;
  o.model.ffn_dim = 32;
  o.model.dropout = 0.1;  // so resuming must restore the dropout generators too
  o.max_tokens = 120;
  o.warmup_steps = 5;
  o.epochs = 2;
  o.progress = false;
  return o;
}

// The same run with a tiny GRU encoder–decoder (dropout on, so resuming must restore every
// dropout generator: embeddings, between layers, readout).
train::TrainOptions tiny_rnn_options(const TempDir& dir) {
  train::TrainOptions o = tiny_options(dir);
  o.arch = train::Arch::rnn;
  o.rnn.embedding_dim = 8;
  o.rnn.encoder_hidden = 8;
  o.rnn.encoder_layers = 2;
  o.rnn.decoder_hidden = 12;
  o.rnn.decoder_layers = 2;
  o.rnn.dropout = 0.1;
  return o;
}

std::vector<double> train_losses(const std::string& metrics) {
  std::vector<double> out;
  for (const auto& r : train::read_metrics(metrics)) {
    if (r.kind == "train") out.push_back(r.loss);
  }
  return out;
}

}  // namespace

namespace {

// Trains o to the end, then again stopped after about half the steps and resumed: the two loss
// curves must be equal to the bit.
void check_resume_equals_uninterrupted(const TempDir& dir, train::TrainOptions o) {
  o.out_dir = dir / "whole";
  const train::TrainResult whole = train::train(o);
  REQUIRE(whole.stop == train::TrainResult::Stop::finished);
  const auto expected = train_losses(dir / "whole/metrics.jsonl");
  REQUIRE(expected.size() == static_cast<size_t>(whole.state.step));
  REQUIRE(whole.state.step > 6);

  o.out_dir = dir / "split";
  o.max_steps = whole.state.step / 2 + 1;  // part-way through the second epoch or the first
  const train::TrainResult first = train::train(o);
  REQUIRE(first.stop == train::TrainResult::Stop::step_limit);
  REQUIRE(first.state.step == o.max_steps);
  REQUIRE(fs::exists(first.last_checkpoint));

  const train::TrainResult second = train::resume(first.last_checkpoint, {.max_steps = 0, .progress = false});
  REQUIRE(second.stop == train::TrainResult::Stop::finished);
  REQUIRE(second.state.step == whole.state.step);
  const auto resumed = train_losses(dir / "split/metrics.jsonl");
  REQUIRE(resumed.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("step " << i + 1);
    CHECK(resumed[i] == expected[i]);  // bitwise: same batches, dropout masks and optimizer state
  }
  CHECK(fs::exists(dir / "split/training_curve.svg"));
  CHECK(fs::exists(dir / "split/bleu.svg"));
}

}  // namespace

TEST_CASE("trainer: a run stopped part-way and resumed equals the uninterrupted run", "[train]") {
  TempDir dir("resume");
  check_resume_equals_uninterrupted(dir, tiny_options(dir));
}

TEST_CASE("trainer: a resumed run keeps its own run control unless told otherwise, and says which limit to raise",
          "[train]") {
  TempDir dir("resume-control");
  train::TrainOptions o = tiny_options(dir);
  o.epochs = 1;
  o.keep_checkpoints = 2;
  o.out_dir = dir / "run";
  const train::TrainResult first = train::train(o);
  REQUIRE(first.stop == train::TrainResult::Stop::finished);

  // Nothing given: the run's own 1 epoch is done, and the message names the flag to raise.
  CHECK_THROWS_WITH(train::resume(first.last_checkpoint, {.progress = false}),
                    Catch::Contains("has done all its 1 epochs") && Catch::Contains("--epochs above 1"));
  // Only --epochs given: keep_checkpoints still comes from the checkpoint (epoch-002 is kept).
  const train::TrainResult second = train::resume(first.last_checkpoint, {.epochs = 2, .progress = false});
  CHECK(second.stop == train::TrainResult::Stop::finished);
  CHECK(second.state.epoch == 2);
  CHECK(fs::exists(dir / "run/epoch-002.safetensors"));

  // A run stopped at its step limit is refused until the limit is raised or lifted.
  o.epochs = 3;
  o.max_steps = 2;
  o.out_dir = dir / "limited";
  const train::TrainResult limited = train::train(o);
  REQUIRE(limited.stop == train::TrainResult::Stop::step_limit);
  CHECK_THROWS_WITH(train::resume(limited.last_checkpoint, {.progress = false}),
                    Catch::Contains("step limit (2 steps)") && Catch::Contains("--max-steps"));
  CHECK(train::resume(limited.last_checkpoint, {.max_steps = 3, .progress = false}).state.step == 3);
}

TEST_CASE("trainer: the cosine schedule reaches zero at --decay-steps, and a resumed run follows it exactly",
          "[train]") {
  TempDir dir("cosine");
  train::TrainOptions o = tiny_options(dir);
  o.schedule = LrSchedule::cosine;
  o.decay_steps = 10;  // warmup 5, then half a cosine over 5 steps, then 0
  check_resume_equals_uninterrupted(dir, o);
  const auto rows = train::read_metrics(dir / "whole/metrics.jsonl");
  std::vector<double> lr;
  for (const auto& r : rows) {
    if (r.kind == "train") lr.push_back(r.lr);
  }
  REQUIRE(lr.size() > 12);
  const auto peak = std::max_element(lr.begin(), lr.end());
  CHECK(*peak == Approx(o.lr));
  CHECK(peak - lr.begin() == o.warmup_steps - 1);                        // the warmup's last step
  CHECK(std::is_sorted(lr.rbegin(), std::make_reverse_iterator(peak)));  // non-increasing after it
  CHECK(lr[static_cast<size_t>(o.decay_steps) - 1] > 0);
  for (size_t i = static_cast<size_t>(o.decay_steps); i < lr.size(); ++i) CHECK(lr[i] == 0);
}

TEST_CASE("trainer: best.safetensors holds the best validation, and one part-way through an epoch counts for no epoch",
          "[train]") {
  TempDir dir("best");
  train::TrainOptions o = tiny_options(dir);
  o.epochs = 1;
  o.out_dir = dir / "one";
  const int64_t steps_per_epoch = train::train(o).state.step;

  o.epochs = 3;
  o.max_steps = steps_per_epoch + 2;  // validations at the end of epoch 1 and two steps into epoch 2
  o.out_dir = dir / "run";
  const train::TrainResult r = train::train(o);
  REQUIRE(r.stop == train::TrainResult::Stop::step_limit);
  std::vector<train::MetricsRow> valid;
  for (const auto& row : train::read_metrics(dir / "run/metrics.jsonl")) {
    if (row.kind == "valid") valid.push_back(row);
  }
  REQUIRE(valid.size() == 2);
  // The best is the highest BLEU of every validation, the part-way one included, and is credited
  // to the epoch it was measured in (the first wins ties: only a higher BLEU replaces the best).
  CHECK(r.state.best_bleu == std::max(valid[0].bleu, valid[1].bleu));
  CHECK(r.state.best_epoch == (valid[1].bleu > valid[0].bleu ? 1 : 0));
  // The first validation always improves on "none yet"; the part-way one does not count for
  // early stopping, whatever its BLEU.
  CHECK(r.state.epochs_without_improvement == 0);
  // best.safetensors was written when the best was found, so it records the same best.
  REQUIRE(fs::exists(r.best_checkpoint));
  const train::LoadedCheckpoint best = train::load_checkpoint(r.best_checkpoint);
  CHECK(best.state.best_bleu == r.state.best_bleu);
  CHECK(best.state.best_epoch == r.state.best_epoch);
  CHECK(best.state.step == (r.state.best_epoch == 0 ? steps_per_epoch : r.state.step));
}

TEST_CASE("trainer: a run stopped by its time limit saves, and is refused to resume until the limit is raised",
          "[train]") {
  TempDir dir("time-limit");
  train::TrainOptions o = tiny_options(dir);
  o.max_minutes = 1e-9;  // reached by the first step
  o.out_dir = dir / "run";
  const train::TrainResult r = train::train(o);
  REQUIRE(r.stop == train::TrainResult::Stop::time_limit);
  CHECK(r.state.step == 1);
  CHECK(train::load_checkpoint(r.last_checkpoint).state.step == 1);
  CHECK_THROWS_WITH(train::resume(r.last_checkpoint, {.progress = false}),
                    Catch::Contains("time limit") && Catch::Contains("--max-minutes"));
  const train::TrainResult resumed = train::resume(r.last_checkpoint, {.max_minutes = 0, .progress = false});
  CHECK(resumed.stop == train::TrainResult::Stop::finished);
  CHECK(resumed.state.epoch == o.epochs);
}

TEST_CASE("trainer: an RNN run stopped part-way and resumed equals the uninterrupted run", "[train][rnn]") {
  TempDir dir("resume-rnn");
  check_resume_equals_uninterrupted(dir, tiny_rnn_options(dir));
}

TEST_CASE("trainer: an RNN checkpoint records its architecture and loads back into the same model", "[train][rnn]") {
  TempDir dir("ckpt-rnn");
  train::TrainOptions o = tiny_rnn_options(dir);
  o.out_dir = dir / "run";
  o.epochs = 1;
  o.rnn.attention = "bilinear";
  const train::TrainResult r = train::train(o);
  const train::LoadedCheckpoint ck = train::load_checkpoint(r.last_checkpoint);
  CHECK(ck.options.arch == train::Arch::rnn);
  CHECK(ck.options.rnn.attention == "bilinear");
  CHECK(ck.options.rnn.decoder_layers == 2);
  CHECK(ck.options.rnn.target_vocab == 14);
  CHECK(ck.file.contains("model/decoder.attention.weight"));
  CHECK(ck.file.contains("rng/decoder.readout_dropout.rng"));

  // Loaded twice, the model gives the same translations: the weights, not the initialisation, decide.
  std::vector<std::vector<std::string>> outputs;
  for (uint64_t seed : {1, 2}) {
    std::unique_ptr<models::Seq2Seq> model = train::make_model(ck.options);
    REQUIRE(dynamic_cast<models::RnnSeq2Seq*>(model.get()) != nullptr);
    Generator gen(seed);
    model->reset_parameters(gen);
    train::restore_model(ck, *model);
    outputs.push_back(train::translate_lines(*model, *ck.source, *ck.target, {"a b c d", "e f g"}, {.beam_size = 2}));
  }
  CHECK(outputs[0] == outputs[1]);
}

TEST_CASE(
    "trainer: options without an arch or a schedule, from older checkpoints, mean a Transformer with 1/sqrt decay",
    "[train]") {
  train::TrainOptions o;
  o.model.source_vocab = o.model.target_vocab = 10;
  auto metadata = o.to_metadata();
  CHECK(metadata.at("train.arch") == "transformer");
  metadata.erase("train.arch");
  metadata.erase("train.schedule");  // nor a schedule, from checkpoints older than --schedule
  metadata.erase("train.decay_steps");
  const train::TrainOptions back = train::TrainOptions::from_metadata(metadata);
  CHECK(back.arch == train::Arch::transformer);
  CHECK(back.schedule == LrSchedule::inverse_sqrt);
  CHECK(back.decay_steps == 0);
  CHECK(back.model.to_metadata() == o.model.to_metadata());

  o.arch = train::Arch::rnn;
  o.rnn.source_vocab = o.rnn.target_vocab = 10;
  o.rnn.cell = models::RnnCell::lstm;
  const train::TrainOptions rnn = train::TrainOptions::from_metadata(o.to_metadata());
  CHECK(rnn.arch == train::Arch::rnn);
  CHECK(rnn.rnn.to_metadata() == o.rnn.to_metadata());
  // An architecture is a type; a bad name can only come from outside (flag, config file, metadata).
  CHECK_THROWS_WITH(parse_enum<train::Arch>("cnn", "--arch"), Catch::Contains("--arch"));
  metadata = o.to_metadata();
  metadata["train.arch"] = "cnn";
  CHECK_THROWS_WITH(train::TrainOptions::from_metadata(metadata), Catch::Contains("train.arch"));
}

TEST_CASE("trainer: checkpoints keep the options, the state and the text pipelines", "[train]") {
  TempDir dir("ckpt");
  train::TrainOptions o = tiny_options(dir);
  o.out_dir = dir / "run";
  o.epochs = 1;
  const train::TrainResult r = train::train(o);
  const train::LoadedCheckpoint ck = train::load_checkpoint(r.last_checkpoint);
  CHECK(ck.state.step == r.state.step);
  CHECK(ck.state.epoch == 1);
  CHECK(ck.options.model.d_model == 16);
  CHECK(ck.options.max_tokens == 120);
  CHECK(ck.source->decode(ck.source->encode("a b c")) == "a b c");
  CHECK(ck.target->vocab().size() == 14);  // 10 letters and 4 specials
  CHECK(fs::exists(r.best_checkpoint));

  // A damaged file is reported, not half-loaded.
  { std::ofstream(dir / "bad.safetensors") << "not a checkpoint"; }
  CHECK_THROWS_WITH(train::load_checkpoint(dir / "bad.safetensors"), Catch::Contains("bad.safetensors"));
}

TEST_CASE("trainer: bad options name the flag", "[train]") {
  train::TrainOptions o;
  o.lr = -1;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--lr"));
  o.lr = train::TrainOptions().lr;
  // Names are parsed where they enter (the command line here); inside, they are types.
  CHECK_THROWS_WITH(parse_enum<data::TokenizerKind>("chars", "--tokenizer"), Catch::Contains("--tokenizer"));
  CHECK_THROWS_WITH(parse_enum<LrSchedule>("linear", "--schedule"), Catch::Contains("--schedule"));
  o.schedule = LrSchedule::cosine;  // needs --decay-steps past the warmup
  o.decay_steps = o.warmup_steps;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--decay-steps") && Catch::Contains("above --warmup (400)"));
  o.schedule = LrSchedule::inverse_sqrt;  // which has no use for it
  o.decay_steps = 1000;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("--decay-steps") && Catch::Contains("--schedule cosine"));
  TempDir dir("missing");
  train::TrainOptions missing;
  missing.train_source = dir / "nope.en";
  missing.train_target = dir / "nope.de";
  CHECK_THROWS_WITH(train::train(missing), Catch::Contains("nope.en"));
}

TEST_CASE("trainer: Ctrl-C is a request the loop can see", "[train]") {
  train::watch_for_interrupt();
  CHECK_FALSE(train::interrupt_requested());
  std::raise(SIGINT);  // handled: sets the flag instead of ending the test run
  CHECK(train::interrupt_requested());
  CHECK(train::interrupt_signal() == SIGINT);  // qkv train exits 128 + it
  train::watch_for_interrupt();
  CHECK_FALSE(train::interrupt_requested());
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

TEST_CASE("trainer: a run whose every pair is longer than --max-length is refused before it writes anything",
          "[train]") {
  TempDir dir("all-dropped");
  train::TrainOptions o = tiny_options(dir);  // sentences of 3 to 7 words
  o.out_dir = dir / "run";
  o.max_length = 2;
  CHECK_THROWS_WITH(train::train(o), Catch::Contains("all 120 training pairs are longer than --max-length 2") &&
                                         Catch::Contains("raise --max-length"));
  CHECK_FALSE(fs::exists(dir / "run"));
  o.max_length = 5;  // some pairs fit: the run trains on them
  o.epochs = 1;
  CHECK(train::train(o).state.step > 0);
}

TEST_CASE("trainer: a --min-freq that leaves only the special tokens is refused before it writes anything", "[train]") {
  TempDir dir("min-freq");
  train::TrainOptions o = tiny_options(dir);  // 120 lines over 10 words: each word well over 10 times
  o.out_dir = dir / "run";
  o.min_freq = 100000;
  CHECK_THROWS_WITH(train::train(o), Catch::Contains("no source token occurs --min-freq 100000 times") &&
                                         Catch::Contains("lower --min-freq"));
  CHECK_FALSE(fs::exists(dir / "run"));
}
