// joint_vocab_test.cpp — --joint-vocab (train/codec_factory.h): one tokenizer and vocabulary over
// both sides for every tokenizer kind, so --share-embeddings trains; the checkpoint keeps the
// choice and a resumed run reads it back; --share-embeddings without it is refused by name; and
// vocabularies counted a line at a time equal those of the whole corpus tokenised at once; a
// subword learner reads a seeded sample (--subword-max-pairs) and the vocabulary every pair.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "data/corpus.h"
#include "data/pair_source.h"
#include "data/sentencepiece_tokenizer.h"
#include "io/test_temp_dir.h"
#include "tensor/error.h"
#include "train/checkpoint.h"
#include "train/codec_factory.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace qkv;
using Catch::Contains;

namespace {

std::string multi30k(const std::string& name) {
  const auto root = fs::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "data" / "multi30k" / name).string();
}

// 200 raw validation pairs: cased, punctuation attached, German umlauts.
train::TrainOptions tiny_raw_options(const test::TempDir& dir) {
  const data::ParallelCorpus val = data::read_parallel(multi30k("raw/val.en"), multi30k("raw/val.de"));
  std::ofstream s(dir.file("src")), t(dir.file("tgt"));
  for (size_t i = 0; i < 200; ++i) {
    s << val.source[i] << "\n";
    t << val.target[i] << "\n";
  }
  s.close();
  t.close();
  train::TrainOptions o;
  o.train_source = o.valid_source = dir.file("src");
  o.train_target = o.valid_target = dir.file("tgt");
  o.out_dir = dir.file("run");
  o.model.d_model = 16;
  o.model.num_heads = 2;
  o.model.encoder_layers = o.model.decoder_layers = 1;
  o.model.ffn_dim = 32;
  o.max_tokens = 400;
  o.warmup_steps = 2;
  o.max_steps = 3;
  o.valid_sentences = 2;
  o.progress = false;
  o.quiet = true;
  return o;
}

}  // namespace

TEST_CASE("a joint vocabulary is one codec for both sides, for every tokenizer kind", "[train][joint_vocab]") {
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  const data::ParallelCorpus corpus = data::read_parallel(o.train_source, o.train_target);
  o.joint_vocab = true;
  o.bpe_merges = 300;
  o.vocab_size = 700;
  for (const auto kind : {data::TokenizerKind::whitespace, data::TokenizerKind::bpe, data::TokenizerKind::rawbpe,
                          data::TokenizerKind::sentencepiece}) {
    if (kind == data::TokenizerKind::sentencepiece && !data::sentencepiece_available()) continue;
    INFO(enum_name(kind));
    o.tokenizer = kind;
    o.min_freq = kind == data::TokenizerKind::rawbpe ? 1 : 2;
    const train::TextCodecs codecs = train::learn_codecs(o, corpus);
    CHECK(codecs.source == codecs.target);
    // Words of both languages are in the one vocabulary.
    CHECK(codecs.source->vocab().size() > 4);
    for (const std::string& line : {corpus.source[0], corpus.target[0]}) {
      if (kind == data::TokenizerKind::rawbpe || kind == data::TokenizerKind::sentencepiece)
        CHECK(codecs.source->decode(codecs.source->encode(line)) == line);  // ids included: no <unk>
    }
    o.joint_vocab = false;
    const train::TextCodecs separate = train::learn_codecs(o, corpus);
    CHECK(separate.source != separate.target);
    o.joint_vocab = true;
  }
}

TEST_CASE("vocabularies counted a line at a time are the ones the whole tokenised corpus gives",
          "[train][joint_vocab]") {
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  const data::ParallelCorpus corpus = data::read_parallel(o.train_source, o.train_target);
  o.bpe_merges = 300;
  o.vocab_size = 700;
  // Vocab::build over every line tokenised at once, plus the inventory counted once more: what
  // codec_factory did before it counted a line at a time.
  const auto whole = [&](const train::TextCodec& codec, const std::vector<const std::vector<std::string>*>& sides) {
    std::vector<std::vector<std::string>> tokenised;
    for (const auto* lines : sides)
      for (const std::string& line : *lines) tokenised.push_back(codec.tokenizer().encode(line));
    std::vector<std::string> inventory = codec.tokenizer().inventory();
    const bool subword = !inventory.empty();
    if (subword) tokenised.push_back(std::move(inventory));
    return data::Vocab::build(tokenised, subword ? 1 : o.min_freq).serialize();
  };
  for (const auto kind : {data::TokenizerKind::whitespace, data::TokenizerKind::bpe, data::TokenizerKind::rawbpe}) {
    INFO(enum_name(kind));
    o.tokenizer = kind;
    o.min_freq = kind == data::TokenizerKind::rawbpe ? 1 : 2;
    o.joint_vocab = true;
    const train::TextCodecs joint = train::learn_codecs(o, corpus);
    CHECK(joint.source->vocab().serialize() == whole(*joint.source, {&corpus.source, &corpus.target}));
    o.joint_vocab = false;
    const train::TextCodecs separate = train::learn_codecs(o, corpus);
    CHECK(separate.source->vocab().serialize() == whole(*separate.source, {&corpus.source}));
    CHECK(separate.target->vocab().serialize() == whole(*separate.target, {&corpus.target}));
  }
}

TEST_CASE("a subword learner reads a seeded sample of --subword-max-pairs pairs, the vocabulary every pair",
          "[train][joint_vocab]") {
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  const data::PairFiles files("", o.train_source, o.train_target);
  o.bpe_merges = 100;
  o.vocab_size = 400;
  o.subword_max_pairs = 30;  // of 200
  o.seed = 5;
  const data::ParallelCorpus sample = data::sample_pairs(files, 30, 5);
  REQUIRE(sample.size() == 30);
  train::TrainOptions on_sample = o;
  on_sample.subword_max_pairs = 0;  // all of the sample
  for (const auto kind : {data::TokenizerKind::bpe, data::TokenizerKind::rawbpe}) {
    for (const bool joint : {true, false}) {
      INFO(enum_name(kind) << (joint ? ", joint" : ", separate"));
      o.tokenizer = on_sample.tokenizer = kind;
      o.min_freq = on_sample.min_freq = kind == data::TokenizerKind::rawbpe ? 1 : 2;
      o.joint_vocab = on_sample.joint_vocab = joint;
      const train::TextCodecs codecs = train::learn_codecs(o, files);
      const train::TextCodecs learned_on_sample = train::learn_codecs(on_sample, sample);
      CHECK(codecs.source->tokenizer().serialize() == learned_on_sample.source->tokenizer().serialize());
      CHECK(codecs.target->tokenizer().serialize() == learned_on_sample.target->tokenizer().serialize());
      // The pieces were counted over all 200 pairs: more of them reach --min-freq than in 30.
      if (kind == data::TokenizerKind::bpe)
        CHECK(codecs.target->vocab().size() > learned_on_sample.target->vocab().size());
    }
  }
  o.tokenizer = data::TokenizerKind::bpe;  // learned from all 200 pairs, the merges differ
  o.min_freq = 2;
  const std::string from_sample = train::learn_codecs(o, files).source->tokenizer().serialize();
  o.subword_max_pairs = 0;
  CHECK(train::learn_codecs(o, files).source->tokenizer().serialize() != from_sample);
}

TEST_CASE("a decoded translation is one line of text whatever byte pieces the model emits", "[train][joint_vocab]") {
  // Byte fallback puts all 256 byte pieces in the vocabulary, so an untrained or odd model can
  // emit <0x0A> or <0x00>: decoded as they are, one input line would give two output lines.
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  const data::ParallelCorpus corpus = data::read_parallel(o.train_source, o.train_target);
  o.joint_vocab = true;
  o.vocab_size = 700;
  o.min_freq = 1;
  for (const auto kind : {data::TokenizerKind::rawbpe, data::TokenizerKind::sentencepiece}) {
    if (kind == data::TokenizerKind::sentencepiece && !data::sentencepiece_available()) continue;
    INFO(enum_name(kind));
    o.tokenizer = kind;
    const train::TextCodecs codecs = train::learn_codecs(o, corpus);
    const data::Vocab& vocab = codecs.target->vocab();
    const std::vector<int64_t> ids = {vocab.id("<0x41>"), vocab.id("<0x0A>"), vocab.id("<0x00>"), vocab.id("<0x09>"),
                                      vocab.id("<0x7F>")};
    for (int64_t id : ids) REQUIRE(id != data::Vocab::kUnk);
    CHECK(codecs.target->decode(ids) == "A\uFFFD\uFFFD\t\uFFFD");  // a tab is text: corpus lines may hold one
  }
}

TEST_CASE("joint rawbpe with shared embeddings trains, and the checkpoint reads back joint", "[train][joint_vocab]") {
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  o.tokenizer = data::TokenizerKind::rawbpe;
  o.vocab_size = 600;
  o.min_freq = 1;
  o.joint_vocab = true;
  o.model.share_embeddings = true;
  const train::TrainResult result = train::train(o);
  CHECK(result.stop == train::TrainResult::Stop::step_limit);
  const train::LoadedCheckpoint checkpoint = train::load_checkpoint(dir.file("run/last.safetensors"));
  CHECK(checkpoint.options.joint_vocab);
  CHECK(checkpoint.options.tokenizer == data::TokenizerKind::rawbpe);
  CHECK(checkpoint.options.vocab_size == 600);
  CHECK(checkpoint.options.model.share_embeddings);
  CHECK(checkpoint.source->vocab().serialize() == checkpoint.target->vocab().serialize());
  CHECK(checkpoint.source->tokenizer().serialize() == checkpoint.target->tokenizer().serialize());
  CHECK(checkpoint.options.model.source_vocab == checkpoint.options.model.target_vocab);
  // One matrix: no target embedding tensor of its own in the checkpoint.
  size_t embeddings = 0;
  for (const auto& [name, tensor] : checkpoint.file.tensors)
    if (name.starts_with("model/") && name.ends_with("_embedding.weight")) ++embeddings;
  CHECK(embeddings == 1);
  // Resuming reads the options back and continues.
  train::RunControl control;
  control.max_steps = 4;
  control.quiet = true;
  control.progress = false;
  CHECK(train::resume(dir.file("run/last.safetensors"), control).stop == train::TrainResult::Stop::step_limit);
}

TEST_CASE("shared embeddings without a joint vocabulary are refused by name", "[train][joint_vocab]") {
  test::TempDir dir;
  train::TrainOptions o = tiny_raw_options(dir);
  o.model.share_embeddings = true;
  CHECK_THROWS_WITH(o.validate(), Contains("--share-embeddings") && Contains("--joint-vocab"));
  o.spm_model = "m.model";
  o.joint_vocab = true;
  CHECK_THROWS_WITH(o.validate(), Contains("--spm-model") && Contains("--tokenizer sentencepiece"));
}
