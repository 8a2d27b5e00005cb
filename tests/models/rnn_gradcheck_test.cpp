// rnn_gradcheck_test.cpp — finite-difference gradchecks (float64) of the recurrent encoder–
// decoder's loss with respect to every one of its parameters, for the three classic match
// functions (additive, bilinear, cosine) with GRU and LSTM cells, with source padding and
// padded target positions.
#include <catch2/catch.hpp>

#include "autograd/gradcheck.h"
#include "models/rnn_seq2seq.h"
#include "nn/functional.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_rnn_config;

TEST_CASE("RnnSeq2Seq loss gradchecks with respect to every parameter", "[models][rnn]") {
  struct Case {
    const char* cell;
    const char* attention;
    bool bidirectional, tie_output;
    int64_t decoder_hidden, decoder_layers;
  };
  // Between them: query projection (Hd = 5 ≠ K) or none, 1 or 2 decoder layers, uni- or
  // bidirectional (two-layer) encoder, tied or untied output.
  const std::vector<Case> cases = {
      {"gru", "additive", true, false, 5, 1}, {"lstm", "additive", true, true, 6, 2},
      {"gru", "bilinear", false, true, 3, 2}, {"lstm", "bilinear", true, false, 5, 1},
      {"gru", "cosine", true, true, 6, 1},    {"lstm", "cosine", false, false, 4, 1},
  };
  uint64_t seed = 60;
  for (const Case& k : cases) {
    INFO("cell " << k.cell << ", attention " << k.attention << ", decoder " << k.decoder_layers << " × "
                 << k.decoder_hidden);
    RnnSeq2SeqConfig c = tiny_rnn_config(k.cell, k.attention);
    c.source_vocab = 7;
    c.target_vocab = 6;
    c.embedding_dim = 3;
    c.encoder_hidden = 3;
    c.bidirectional = k.bidirectional;
    c.tie_output = k.tie_output;
    c.decoder_hidden = k.decoder_hidden;
    c.decoder_layers = k.decoder_layers;
    RnnSeq2Seq model(c);
    Generator gen(++seed);
    model.reset_parameters(gen);
    auto batch = random_batch({4, 2}, 4, 3, 7, 6, gen);
    auto tgt_out = to_vector<int64_t>(batch.tgt_out);
    tgt_out[1 * 3 + 2] = 0;  // a padded target position: ignored by the loss
    const Tensor labels = from_vector(tgt_out, {2, 3});
    std::vector<Tensor> params = model.parameters();
    gradcheck(
        "rnn seq2seq loss",
        [&](const std::vector<Tensor>&) {
          const Tensor logits = model.forward(batch.src, batch.src_padding, batch.tgt_in);
          return cross_entropy(logits, labels, {.ignore_index = 0, .label_smoothing = 0.1});
        },
        params);
  }
}
