// trained_model_test.cpp — LoadedModel::translate_n_best on a tiny random Transformer with
// word vocabularies: blank lines skipped, long lines refused or truncated, n-best lists as text,
// and translate agreeing with the best of each list.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "data/vocab.h"
#include "models/transformer.h"
#include "tensor/random.h"
#include "train/evaluate.h"
#include "train/trained_model.h"

using namespace qkv;

namespace {

std::shared_ptr<train::TextCodec> word_codec(const std::string& words) {
  const auto tokenizer = data::make_whitespace_tokenizer();
  const std::vector<std::string> pieces = tokenizer->encode(words);
  return std::make_shared<train::TextCodec>(data::make_whitespace_tokenizer(), data::Vocab::build({pieces}, 1));
}

// max_positions 8: sources of at most 7 words (one position for eos).
train::LoadedModel tiny_model() {
  train::LoadedModel m;
  m.source = word_codec("a b c d e f g h");
  m.target = word_codec("u v w x y z");
  models::TransformerConfig c;
  c.source_vocab = m.source->vocab().size();
  c.target_vocab = m.target->vocab().size();
  c.d_model = 16;
  c.num_heads = 2;
  c.encoder_layers = 1;
  c.decoder_layers = 1;
  c.ffn_dim = 16;
  c.dropout = 0;
  c.max_positions = 8;
  c.dtype = Dtype::float64;
  auto model = std::make_unique<models::Transformer>(c);
  Generator gen(41);
  model->reset_parameters(gen);
  model->eval();
  m.model = std::move(model);
  return m;
}

}  // namespace

TEST_CASE("LoadedModel gives blank lines an empty translation and leaves the others as they are alone", "[train]") {
  const train::LoadedModel m = tiny_model();
  const std::vector<std::string> lines = {"a b c", "", " \t ", "\u00a0\u3000", "d e"};
  const auto out = m.translate_n_best(lines, {.decode = {.beam_size = 3}, .n_best = 2});
  REQUIRE(out.size() == 5);
  for (size_t i : {1, 2, 3}) {
    INFO("line " << i);
    REQUIRE(out[i].n_best.size() == 1);
    CHECK(out[i].n_best[0].text.empty());
    CHECK(out[i].n_best[0].score == 0);
    CHECK(m.source_tokens(lines[i]) == 0);
  }
  for (size_t i : {0, 4}) {
    const auto alone = m.translate_n_best({lines[i]}, {.decode = {.beam_size = 3}, .n_best = 2});
    REQUIRE(out[i].n_best.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      CHECK(out[i].n_best[k].text == alone[0].n_best[k].text);
      CHECK(out[i].n_best[k].score == Approx(alone[0].n_best[k].score).epsilon(1e-12));  // padding moves the last bits
    }
  }
  CHECK(m.translate(lines)[1].empty());
}

TEST_CASE("LoadedModel n-best lists are ranked, and translate gives their first", "[train]") {
  const train::LoadedModel m = tiny_model();
  const std::vector<std::string> lines = {"a b c d", "e f", "g h a"};
  for (int64_t beam : {1, 4}) {
    const int64_t n = beam == 1 ? 1 : 3;
    const auto lists = m.translate_n_best(lines, {.decode = {.beam_size = beam}, .n_best = n});
    const auto best = m.translate(lines, {.beam_size = beam});
    for (size_t i = 0; i < lines.size(); ++i) {
      INFO("beam " << beam << " line " << i);
      REQUIRE(static_cast<int64_t>(lists[i].n_best.size()) == n);
      CHECK(lists[i].n_best[0].text == best[i]);
      CHECK(lists[i].source_tokens == m.source_tokens(lines[i]));
      CHECK_FALSE(lists[i].truncated);
      for (size_t k = 1; k < lists[i].n_best.size(); ++k)
        CHECK(lists[i].n_best[k - 1].score >= lists[i].n_best[k].score);
    }
  }
  CHECK_THROWS_WITH(m.translate_n_best(lines, {.decode = {.beam_size = 2}, .n_best = 3}),
                    Catch::Contains("n_best 3 is outside 1..beam_size (2)"));
}

TEST_CASE("LoadedModel refuses a line longer than its positions, naming it, or truncates it when asked", "[train]") {
  const train::LoadedModel m = tiny_model();
  CHECK(m.max_source_tokens() == 7);
  const std::vector<std::string> lines = {"a b", "a b c d e f g h", "c d e f g h a"};  // 2, 8 and 7 words
  CHECK_THROWS_WITH(m.translate_n_best(lines, {}),
                    Catch::Contains("line 2 has 8 source tokens, more than the model takes (7"));
  CHECK_THROWS_WITH(m.translate(lines), Catch::Contains("line 2 has 8 source tokens"));
  const auto out = m.translate_n_best(lines, {.truncate = true});
  CHECK(out[1].truncated);
  CHECK(out[1].source_tokens == 8);
  CHECK_FALSE(out[2].truncated);  // exactly the limit fits
  CHECK(out[1].n_best[0].text == m.translate({"a b c d e f g"})[0]);
  CHECK(out[0].n_best[0].text == m.translate({"a b"})[0]);
}

TEST_CASE("LoadedModel marks a translation the model's target positions cut short", "[train]") {
  const train::LoadedModel m = tiny_model();  // 8 target positions: at most 8 tokens
  const std::vector<std::string> lines = {"a b c d e f g", "a", "h g", "b"};
  int64_t cut = 0;
  for (int64_t max_length : {0, 3}) {
    const models::DecodeOptions decode{.max_length = max_length};
    const auto out = m.translate_n_best(lines, {.decode = decode});
    for (size_t i = 0; i < lines.size(); ++i) {
      const train::SourceBatch batch = train::make_source_batch({m.source->encode(lines[i])});
      const auto ids = models::translate(*m.model, batch.source, batch.source_padding, decode)[0];
      INFO("max_length " << max_length << " line " << i);
      CHECK(out[i].unfinished == (ids.size() == 8));
      cut += out[i].unfinished ? 1 : 0;
      if (max_length == 3) CHECK_FALSE(out[i].unfinished);  // its own limit, not the model's
    }
  }
  CHECK(cut > 0);  // the untrained model rarely says eos, so the positions stop it
}
