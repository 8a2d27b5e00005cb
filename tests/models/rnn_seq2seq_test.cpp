// rnn_seq2seq_test.cpp — the recurrent encoder–decoder with attention: parameter names and count
// in closed form; step-by-step decoding reproduces the teacher-forced logits; source padding
// and the other rows of a batch change nothing; greedy decoding equals beam search with beam 1;
// alignment figures; config validation and its metadata round trip.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/decoding.h"
#include "models/rnn_seq2seq.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::max_abs_diff;
using qkv::models::testing::max_step_difference;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_rnn_config;

namespace {

RnnSeq2Seq make_model(const RnnSeq2SeqConfig& c, uint64_t seed) {
  RnnSeq2Seq model(c);
  Generator gen(seed);
  model.reset_parameters(gen);
  return model;
}

// The three classic match functions, each with either cell, in configurations that between them
// cover: query projection (Hd ≠ K) or none, one or two encoder and decoder layers, uni- or
// bidirectional encoder, tied or untied output.
std::vector<RnnSeq2SeqConfig> classic_configs() {
  std::vector<RnnSeq2SeqConfig> out;
  for (const char* cell : {"gru", "lstm"}) {
    RnnSeq2SeqConfig additive = tiny_rnn_config(cell, "additive");
    RnnSeq2SeqConfig bilinear = tiny_rnn_config(cell, "bilinear");
    bilinear.decoder_hidden = 6;  // = K: no query projection
    bilinear.decoder_layers = 2;
    bilinear.tie_output = false;
    RnnSeq2SeqConfig cosine = tiny_rnn_config(cell, "cosine");
    cosine.bidirectional = false;
    cosine.encoder_layers = 1;
    out.insert(out.end(), {additive, bilinear, cosine});
  }
  return out;
}

}  // namespace

TEST_CASE("RnnSeq2Seq has the parameters of its closed form, with torch's names", "[models][rnn]") {
  for (const char* cell : {"gru", "lstm"}) {
    INFO("cell " << cell);
    RnnSeq2SeqConfig c = tiny_rnn_config(cell, "additive");
    c.tie_output = false;
    RnnSeq2Seq model(c);
    const int64_t E = 4, He = 3, K = 6, Hd = 5, G = std::string(cell) == "gru" ? 3 : 4;
    const int64_t encoder = 2 * (G * He * (E + He) + 2 * G * He) + 2 * (G * He * (K + He) + 2 * G * He);
    const int64_t decoder = (K * Hd + Hd) + (G * Hd * (E + K + Hd) + 2 * G * Hd) + Hd * K  // bridge, cell, W_q
                            + (2 * K * K + K) + ((Hd + K + E) * E + E);                    // additive, readout
    const int64_t expected = 11 * E + 13 * E + encoder + decoder + (13 * E + 13);
    CHECK(model.parameter_count() == expected);
    std::vector<std::string> names;
    for (auto& [name, p] : model.named_parameters()) names.push_back(name);
    for (const char* name : {"source_embedding.weight", "encoder.weight_ih_l1_reverse", "decoder.bridge.weight",
                             "decoder.layers.0.weight_ih", "decoder.query_projection.weight", "decoder.attention.w_k",
                             "decoder.readout.bias", "output_projection.weight"}) {
      CHECK(std::find(names.begin(), names.end(), name) != names.end());
    }
    c.tie_output = true;
    c.decoder_hidden = K;  // no query projection
    RnnSeq2Seq tied(c);
    for (auto& [name, p] : tied.named_parameters()) {
      CHECK(name != "output_projection.weight");
      CHECK(name != "decoder.query_projection.weight");
    }
  }
}

TEST_CASE("RnnSeq2Seq step-by-step decoding reproduces the teacher-forced logits", "[models][rnn]") {
  Generator gen(3);
  uint64_t seed = 10;
  for (const RnnSeq2SeqConfig& c : classic_configs()) {
    INFO("cell " << enum_name(c.cell) << ", attention " << c.attention);
    RnnSeq2SeqConfig noisy = c;
    noisy.dropout = 0.2;  // eval mode must switch it off everywhere
    RnnSeq2Seq model = make_model(noisy, ++seed);
    CHECK(max_step_difference(model, random_batch({6, 2, 4}, 6, 7, 11, 13, gen)) < 1e-12);
  }
}

TEST_CASE("RnnSeq2Seq outputs ignore source padding and the other rows of the batch", "[models][rnn]") {
  Generator gen(4);
  uint64_t seed = 20;
  for (const RnnSeq2SeqConfig& c : classic_configs()) {
    INFO("cell " << enum_name(c.cell) << ", attention " << c.attention);
    RnnSeq2Seq model = make_model(c, ++seed);
    auto batch = random_batch({5, 3}, 5, 4, 11, 13, gen);
    const Tensor logits = model.forward(batch.src, batch.src_padding, batch.tgt_in);  // (2, 4, 13)

    // Changing a padded source token changes nothing.
    auto src2 = to_vector<int64_t>(batch.src);
    src2[1 * 5 + 4] = 7;
    CHECK(max_abs_diff(model.forward(from_vector(src2, {2, 5}), batch.src_padding, batch.tgt_in), logits) == 0);
    // More padding columns change nothing.
    auto wide = random_batch({5, 3}, 8, 4, 11, 13, gen);
    auto wide_src = to_vector<int64_t>(wide.src);
    const auto src = to_vector<int64_t>(batch.src);
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t s = 0; s < 5; ++s) wide_src[static_cast<size_t>(b * 8 + s)] = src[static_cast<size_t>(b * 5 + s)];
    }
    const Tensor wider = model.forward(from_vector(wide_src, {2, 8}), wide.src_padding, batch.tgt_in);
    CHECK(max_abs_diff(wider, logits) < 1e-12);
    // Row 1 alone, its padding trimmed, gives row 1's logits.
    const Tensor alone = model.forward(raw::contiguous(raw::narrow(raw::narrow(batch.src, 0, 1, 1), 1, 0, 3)), Tensor(),
                                       raw::contiguous(raw::narrow(batch.tgt_in, 0, 1, 1)));
    CHECK(max_abs_diff(alone, raw::narrow(logits, 0, 1, 1)) < 1e-12);
  }
}

TEST_CASE("RnnSeq2Seq greedy decoding equals beam search with beam 1 and is batch independent", "[models][rnn]") {
  Generator gen(5);
  uint64_t seed = 30;
  for (const RnnSeq2SeqConfig& c : classic_configs()) {
    INFO("cell " << enum_name(c.cell) << ", attention " << c.attention);
    RnnSeq2SeqConfig noisy = c;
    noisy.dropout = 0.1;  // decoding must switch it off
    RnnSeq2Seq model = make_model(noisy, ++seed);
    auto batch = random_batch({7, 4, 2, 6, 5}, 7, 1, 11, 13, gen);
    DecodeOptions opts;
    opts.max_length = 9;
    const auto greedy = greedy_decode(model, batch.src, batch.src_padding, opts);
    CHECK(model.training());  // restored
    opts.beam_size = 1;
    CHECK(beam_search(model, batch.src, batch.src_padding, opts) == greedy);
    int64_t total = 0;
    for (int64_t b = 0; b < 5; ++b) {
      const int64_t len = std::vector<int64_t>{7, 4, 2, 6, 5}[static_cast<size_t>(b)];
      const Tensor src_b = raw::contiguous(raw::narrow(raw::narrow(batch.src, 0, b, 1), 1, 0, len));
      CHECK(greedy_decode(model, src_b, Tensor(), opts)[0] == greedy[static_cast<size_t>(b)]);
      total += static_cast<int64_t>(greedy[static_cast<size_t>(b)].size());
    }
    CHECK(total > 5);  // not a trivial all-eos test
    opts.beam_size = 3;
    const auto beams = beam_search(model, batch.src, batch.src_padding, opts);
    const Tensor src_3 = raw::contiguous(raw::narrow(raw::narrow(batch.src, 0, 3, 1), 1, 0, 6));
    CHECK(beam_search(model, src_3, Tensor(), opts)[0] == beams[3]);
  }
}

TEST_CASE("RnnSeq2Seq attention figures are the decoder's alignment over the source", "[models][rnn]") {
  Generator gen(6);
  RnnSeq2Seq model = make_model(tiny_rnn_config("gru", "additive"), 40);
  auto batch = random_batch({4}, 6, 5, 11, 13, gen);
  const auto figures = model.attention_figures(batch.src, batch.src_padding, batch.tgt_in);
  REQUIRE(figures.size() == 1);
  CHECK(figures[0].name == "cross_attention");
  CHECK(figures[0].queries == AttentionFigure::Tokens::target_out);
  CHECK(figures[0].keys == AttentionFigure::Tokens::source);
  REQUIRE(figures[0].layers.size() == 1);
  REQUIRE(figures[0].layers[0].shape() == Shape{1, 5, 6});
  CHECK(model.training());  // restored
  const auto w = to_vector<double>(figures[0].layers[0]);
  for (int64_t t = 0; t < 5; ++t) {
    double sum = 0;
    for (int64_t s = 0; s < 6; ++s) sum += w[static_cast<size_t>(t * 6 + s)];
    CHECK(sum == Approx(1.0));
    CHECK(w[static_cast<size_t>(t * 6 + 4)] == 0);  // padded source positions get no weight
    CHECK(w[static_cast<size_t>(t * 6 + 5)] == 0);
  }
  CHECK_THROWS_WITH(model.attention_figures(raw::expand(batch.src, {2, 6}), Tensor(), batch.tgt_in),
                    Catch::Contains("batch 1"));
}

TEST_CASE("RnnSeq2SeqConfig validates and round-trips through metadata", "[models][rnn]") {
  RnnSeq2SeqConfig c = tiny_rnn_config("lstm", "cosine+sigmoid");
  c.bidirectional = false;
  c.dropout = 0.25;
  const RnnSeq2SeqConfig back = RnnSeq2SeqConfig::from_metadata(c.to_metadata());
  CHECK(back.to_metadata() == c.to_metadata());
  CHECK(back.encoder_dim() == 3);

  auto rejects = [](RnnSeq2SeqConfig bad, const char* words) {
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains(words));
  };
  auto metadata = c.to_metadata();  // an RNN cell is a type; a bad name can only come from outside
  metadata["cell"] = "rnn";
  CHECK_THROWS_WITH(RnnSeq2SeqConfig::from_metadata(metadata), Catch::Contains("cell"));
  RnnSeq2SeqConfig bad = c;
  bad.decoder_hidden = 0;
  rejects(bad, "decoder_hidden");
  bad = c;
  bad.dropout = 1.0;
  rejects(bad, "dropout");
  bad = c;
  bad.attention = "nonesuch";
  rejects(bad, "not a registered variant");
  bad = c;
  bad.attention = "local";
  rejects(bad, "position-tied");
  auto m = c.to_metadata();
  m.erase("encoder_hidden");
  CHECK_THROWS_WITH(RnnSeq2SeqConfig::from_metadata(m), Catch::Contains("encoder_hidden"));

  // Padding must follow the tokens: a pad before a real token is an error, not a silent mix-up.
  RnnSeq2Seq model = make_model(tiny_rnn_config("gru", "additive"), 50);
  const Tensor src = from_vector<int64_t>({5, 0, 6}, {1, 3});
  const Tensor pad = from_vector(std::vector<bool>{false, true, false}, {1, 3});
  CHECK_THROWS_WITH(model.forward(src, pad, from_vector<int64_t>({2}, {1, 1})), Catch::Contains("padding must follow"));
}
