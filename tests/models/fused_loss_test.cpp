// fused_loss_test.cpp — Seq2Seq::loss (the output layer fused with the loss, what the trainer
// uses) equals cross_entropy of forward's logits, in value and in every parameter's gradient,
// for the Transformer (own, tied and shared output weights) and the RNN encoder–decoder.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "models/rnn_seq2seq.h"
#include "models/transformer.h"
#include "nn/functional.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::max_abs_diff;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_config;
using qkv::models::testing::tiny_rnn_config;

namespace {

// The loss and every parameter's gradient, through model.loss (fused) or forward + cross_entropy.
std::map<std::string, Tensor> loss_and_grads(Seq2Seq& model, const testing::Batch& batch, bool fused,
                                             const CrossEntropyOptions& o) {
  model.zero_grad();
  const Tensor loss = fused
                          ? model.loss(batch.src, batch.src_padding, batch.tgt_in, batch.tgt_out, o)
                          : cross_entropy(model.forward(batch.src, batch.src_padding, batch.tgt_in), batch.tgt_out, o);
  loss.backward();
  std::map<std::string, Tensor> out{{"loss", raw::contiguous(loss)}};
  for (auto& [name, p] : model.named_parameters()) out[name] = p.grad();
  return out;
}

void require_same_loss_and_grads(Seq2Seq& model, const testing::Batch& batch) {
  for (const CrossEntropyOptions& o : {CrossEntropyOptions{.ignore_index = 0, .label_smoothing = 0.1},
                                       CrossEntropyOptions{.ignore_index = 0, .reduction = Reduction::sum}}) {
    const auto want = loss_and_grads(model, batch, false, o);
    const auto got = loss_and_grads(model, batch, true, o);
    REQUIRE(got.size() == want.size());
    for (const auto& [name, w] : want) {
      INFO(name);
      REQUIRE(got.at(name).defined() == w.defined());
      if (w.defined()) CHECK(max_abs_diff(got.at(name), w) < 1e-12);
    }
  }
}

}  // namespace

TEST_CASE("Transformer::loss is cross_entropy of forward, with every output weight sharing", "[models]") {
  for (int sharing = 0; sharing < 3; ++sharing) {  // own output weight, tied to the target table, all shared
    INFO("sharing " << sharing);
    TransformerConfig c = tiny_config(false);
    c.tie_output = sharing >= 1;
    c.share_embeddings = sharing == 2;
    if (c.share_embeddings) c.source_vocab = c.target_vocab;
    Transformer model(c);
    Generator gen(31 + sharing);
    model.reset_parameters(gen);
    auto batch = random_batch({5, 3}, 5, 4, c.source_vocab, c.target_vocab, gen);
    // A padded target position: ignored by both.
    batch.tgt_out = raw::contiguous(batch.tgt_out);
    batch.tgt_out.data<int64_t>()[3] = 0;
    require_same_loss_and_grads(model, batch);
  }
}

TEST_CASE("RnnSeq2Seq::loss is cross_entropy of forward", "[models][rnn]") {
  for (const char* cell : {"gru", "lstm"}) {
    INFO(cell);
    RnnSeq2Seq model(tiny_rnn_config(cell, "additive"));
    Generator gen(41);
    model.reset_parameters(gen);
    const auto batch = random_batch({5, 2}, 5, 4, 11, 13, gen);
    require_same_loss_and_grads(model, batch);
  }
}
