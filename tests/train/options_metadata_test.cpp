// options_metadata_test.cpp — checkpoint metadata written before the options became types
// reads back, and writes back byte for byte: the maps below are the train.* and model.* keys of
// checkpoints written by the binary of main before this change (qkv train --max-steps 5; the
// second with --arch rnn --rnn-cell lstm --schedule cosine --tokenizer bpe), out_dir shortened.
#include <catch2/catch.hpp>

#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "train/train_options.h"

using namespace qkv;
using Metadata = std::map<std::string, std::string>;
using Catch::Contains;

namespace {

const Metadata kOldTransformer = {
    {"model.activation", "relu"},
    {"model.attention_dropout", "0"},
    {"model.cross_attention", "scaled_dot"},
    {"model.d_model", "256"},
    {"model.decoder_layers", "3"},
    {"model.dropout", "0.1"},
    {"model.dtype", "float32"},
    {"model.encoder_layers", "3"},
    {"model.ffn_dim", "512"},
    {"model.learned_positions", "false"},
    {"model.max_positions", "256"},
    {"model.num_heads", "8"},
    {"model.pre_norm", "false"},
    {"model.self_attention", "scaled_dot"},
    {"model.share_embeddings", "false"},
    {"model.source_vocab", "5921"},
    {"model.target_vocab", "7859"},
    {"model.tie_output", "true"},
    {"train.arch", "transformer"},
    {"train.beta2", "0.97999999999999998"},
    {"train.bpe_merges", "8000"},
    {"train.clip_norm", "1"},
    {"train.decay_steps", "0"},
    {"train.epochs", "1"},
    {"train.keep_checkpoints", "0"},
    {"train.label_smoothing", "0.10000000000000001"},
    {"train.lr", "0.001"},
    {"train.max_length", "100"},
    {"train.max_minutes", "0"},
    {"train.max_steps", "5"},
    {"train.max_tokens", "2048"},
    {"train.min_freq", "2"},
    {"train.out_dir", "runs/old"},
    {"train.patience", "0"},
    {"train.schedule", "inverse-sqrt"},
    {"train.seed", "1"},
    {"train.tokenizer", "whitespace"},
    {"train.train_source", "data/multi30k/train.en"},
    {"train.train_target", "data/multi30k/train.de"},
    {"train.train_tsv", ""},
    {"train.valid_beam", "1"},
    {"train.valid_sentences", "20"},
    {"train.valid_source", "data/multi30k/val.en"},
    {"train.valid_target", "data/multi30k/val.de"},
    {"train.valid_tsv", ""},
    {"train.warmup_steps", "400"},
    {"train.weight_decay", "0"},
};

const Metadata kOldRnn = {
    {"model.attention", "additive"},
    {"model.bidirectional", "true"},
    {"model.cell", "lstm"},
    {"model.decoder_hidden", "64"},
    {"model.decoder_layers", "1"},
    {"model.dropout", "0.3"},
    {"model.dtype", "float32"},
    {"model.embedding_dim", "32"},
    {"model.encoder_hidden", "32"},
    {"model.encoder_layers", "1"},
    {"model.source_vocab", "291"},
    {"model.target_vocab", "301"},
    {"model.tie_output", "true"},
    {"train.arch", "rnn"},
    {"train.beta2", "0.97999999999999998"},
    {"train.bpe_merges", "200"},
    {"train.clip_norm", "1"},
    {"train.decay_steps", "500"},
    {"train.epochs", "1"},
    {"train.keep_checkpoints", "0"},
    {"train.label_smoothing", "0.10000000000000001"},
    {"train.lr", "0.001"},
    {"train.max_length", "100"},
    {"train.max_minutes", "0"},
    {"train.max_steps", "5"},
    {"train.max_tokens", "2048"},
    {"train.min_freq", "2"},
    {"train.out_dir", "runs/old_rnn"},
    {"train.patience", "0"},
    {"train.schedule", "cosine"},
    {"train.seed", "1"},
    {"train.tokenizer", "bpe"},
    {"train.train_source", "data/multi30k/train.en"},
    {"train.train_target", "data/multi30k/train.de"},
    {"train.train_tsv", ""},
    {"train.valid_beam", "1"},
    {"train.valid_sentences", "20"},
    {"train.valid_source", "data/multi30k/val.en"},
    {"train.valid_target", "data/multi30k/val.de"},
    {"train.valid_tsv", ""},
    {"train.warmup_steps", "400"},
    {"train.weight_decay", "0"},
};

// The names each enum's table must keep: they are in every checkpoint written so far.
template <class E>
void check_names(const std::vector<std::pair<E, std::string>>& old_names) {
  for (const auto& [value, name] : old_names) {
    INFO(name);
    CHECK(enum_name(value) == name);
    CHECK(parse_enum<E>(name, "test") == value);
  }
}

}  // namespace

TEST_CASE("options metadata: an old Transformer checkpoint's options read back and write the same text", "[train]") {
  const train::TrainOptions o = train::TrainOptions::from_metadata(kOldTransformer);
  CHECK(o.arch == train::Arch::transformer);
  CHECK(o.tokenizer == data::TokenizerKind::whitespace);
  CHECK(o.schedule == LrSchedule::inverse_sqrt);
  CHECK(o.model.activation == Activation::relu);
  CHECK(o.model.d_model == 256);
  CHECK(o.beta2 == 0.98);
  CHECK(o.label_smoothing == 0.1);
  CHECK(o.max_steps == 5);
  CHECK(o.out_dir == "runs/old");
  CHECK(o.to_metadata() == kOldTransformer);
}

TEST_CASE("options metadata: an old RNN checkpoint's options read back and write the same text", "[train][rnn]") {
  const train::TrainOptions o = train::TrainOptions::from_metadata(kOldRnn);
  CHECK(o.arch == train::Arch::rnn);
  CHECK(o.tokenizer == data::TokenizerKind::bpe);
  CHECK(o.schedule == LrSchedule::cosine);
  CHECK(o.decay_steps == 500);
  CHECK(o.rnn.cell == models::RnnCell::lstm);
  CHECK(o.rnn.decoder_hidden == 64);
  CHECK(o.rnn.dropout == 0.3);
  CHECK(o.to_metadata() == kOldRnn);
}

TEST_CASE("options metadata: --subword-max-pairs is recorded when it is not the default", "[train]") {
  train::TrainOptions o = train::TrainOptions::from_metadata(kOldTransformer);
  CHECK_FALSE(o.to_metadata().contains("train.subword_max_pairs"));  // the text older runs wrote
  o.subword_max_pairs = 5000;
  CHECK(o.to_metadata().at("train.subword_max_pairs") == "5000");
  CHECK(train::TrainOptions::from_metadata(o.to_metadata()).subword_max_pairs == 5000);
  CHECK(train::TrainOptions::from_metadata(kOldTransformer).subword_max_pairs ==
        train::TrainOptions{}.subword_max_pairs);
}

TEST_CASE("options metadata: every enum keeps the names older checkpoints and flags use", "[train]") {
  check_names<train::Arch>({{train::Arch::transformer, "transformer"}, {train::Arch::rnn, "rnn"}});
  check_names<data::TokenizerKind>(
      {{data::TokenizerKind::whitespace, "whitespace"}, {data::TokenizerKind::bpe, "bpe"}});
  check_names<LrSchedule>({{LrSchedule::inverse_sqrt, "inverse-sqrt"}, {LrSchedule::cosine, "cosine"}});
  check_names<models::RnnCell>({{models::RnnCell::gru, "gru"}, {models::RnnCell::lstm, "lstm"}});
  check_names<Activation>({{Activation::relu, "relu"},
                           {Activation::gelu, "gelu"},
                           {Activation::tanh, "tanh"},
                           {Activation::sigmoid, "sigmoid"}});
}

TEST_CASE("options metadata: a bad name is refused naming the key and listing the valid names", "[train]") {
  Metadata m = kOldRnn;
  m["model.cell"] = "rnn";
  CHECK_THROWS_WITH(train::TrainOptions::from_metadata(m),
                    Catch::Contains("key 'cell'") && Catch::Contains("unknown RNN cell 'rnn' (known: gru, lstm)"));
  m = kOldTransformer;
  m["train.schedule"] = "linear";
  CHECK_THROWS_WITH(train::TrainOptions::from_metadata(m),
                    Catch::Contains("key 'train.schedule'") &&
                        Catch::Contains("unknown schedule 'linear' (known: inverse-sqrt, cosine)"));
  m = kOldTransformer;
  m["model.activation"] = "swish";
  CHECK_THROWS_WITH(train::TrainOptions::from_metadata(m),
                    Catch::Contains("key 'activation'") &&
                        Catch::Contains("unknown activation 'swish' (known: relu, gelu, tanh, sigmoid)"));
}

// Every option with a range is checked by validate, and the message names its flag and the rule:
// one step outside each finite end must be refused, the end itself accepted unless it is open.
TEST_CASE("options: validate checks every ranged option and names its flag", "[train]") {
  models::for_each_field(train::train_option_fields, [](const auto& f) {
    using T = std::remove_cvref_t<decltype(train::TrainOptions{}.*f.member)>;
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (f.range.low == -std::numeric_limits<double>::infinity()) return;
      INFO(f.key);
      train::TrainOptions o;
      const double below = std::is_integral_v<T> ? f.range.low - 1 : f.range.low - 0.5;
      o.*f.member = static_cast<T>(f.range.low_open ? f.range.low : below);
      CHECK_THROWS_WITH(o.validate(), Catch::StartsWith(fmt::format("qkv train: {} must be {}, got ", f.flag_name(),
                                                                    f.range.text())));
      if (!f.range.low_open) {
        o.*f.member = static_cast<T>(f.range.low);
        CHECK_NOTHROW(o.validate());
      }
    }
  });
  train::TrainOptions no_warmup;
  no_warmup.warmup_steps = 0;
  CHECK_THROWS_WITH(no_warmup.validate(), "qkv train: --warmup must be >= 1, got 0");
  train::TrainOptions high_lr;
  high_lr.lr = 10;
  CHECK_THROWS_WITH(high_lr.validate(), "qkv train: --lr must be in (0, 10), got 10");
}

TEST_CASE("the model's own rules are checked with the options, before any data is read", "[train][options]") {
  train::TrainOptions o;
  o.train_source = o.train_target = "/nonexistent/never-read.txt";
  o.model.self_attention = "local";
  o.model.self_attention_options = models::AttentionOptions::parse("window=-1");
  CHECK_THROWS_WITH(o.validate(), Contains("self_attention_options 'window=-1'") && Contains("'window' must be >= 0"));
  o.model.self_attention = "scaled_dot";
  o.model.self_attention_options = {};
  o.model.num_heads = 3;  // 256 is not divisible by 3
  CHECK_THROWS_WITH(o.validate(), Contains("not divisible by num_heads 3"));
  o.model.num_heads = 4;
  CHECK_NOTHROW(o.validate());
  o.arch = train::Arch::rnn;
  o.rnn.attention = "no_such_scoring";
  CHECK_THROWS_WITH(o.validate(), Contains("no_such_scoring"));
}
