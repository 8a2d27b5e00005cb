// train_step_test.cpp — train::train_step, the trainer's one update: it equals forward, label-
// smoothed cross-entropy, backward, clipping and an Adam step written out by hand, to the bit;
// and a step whose loss is not finite changes no weight and no optimizer state.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/batching.h"
#include "data/vocab.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "train/model_factory.h"
#include "train/train_step.h"

using namespace qkv;

namespace {

// A tiny Transformer over 12 ids, initialised from `seed`; no dropout, so two copies agree.
std::unique_ptr<models::Seq2Seq> tiny_model(uint64_t seed) {
  train::TrainOptions o;
  o.model.source_vocab = o.rnn.source_vocab = 12;
  o.model.target_vocab = o.rnn.target_vocab = 12;
  o.model.d_model = 8;
  o.model.num_heads = 2;
  o.model.encoder_layers = 1;
  o.model.decoder_layers = 1;
  o.model.ffn_dim = 16;
  o.model.dropout = 0;
  auto model = train::make_model(o);
  Generator init(seed);
  model->reset_parameters(init);
  return model;
}

// Three pairs of different lengths, so the batch has padding on both sides.
data::Batch tiny_batch() {
  const std::vector<data::Example> examples = {{{4, 5, 6}, {7, 8}}, {{9, 10}, {11, 4, 5, 6}}, {{6, 7, 8, 9, 10}, {5}}};
  return data::make_batch(examples, {0, 1, 2});
}

std::vector<std::vector<float>> values_of(const std::vector<Tensor>& params) {
  std::vector<std::vector<float>> out;
  for (const auto& p : params) out.push_back(to_vector<float>(p));
  return out;
}

}  // namespace

TEST_CASE("train_step: forward, label-smoothed loss, backward, clipping and one Adam update, as written by hand",
          "[train]") {
  for (const double clip_norm : {0.5, 0.0}) {  // clipping engaged, and off
    INFO("clip_norm " << clip_norm);
    auto model = tiny_model(7);
    auto by_hand = tiny_model(7);
    Adam optimizer(model->parameters(), {.lr = 1e-3, .beta2 = 0.98, .eps = 1e-9});
    Adam by_hand_optimizer(by_hand->parameters(), {.lr = 1e-3, .beta2 = 0.98, .eps = 1e-9});
    const auto before = values_of(model->parameters());
    const data::Batch batch = tiny_batch();

    const train::StepResult r =
        train::train_step(*model, optimizer, batch, {.lr = 0.01, .label_smoothing = 0.1, .clip_norm = clip_norm});

    by_hand_optimizer.set_lr(0.01);
    // The model's loss: its output layer fused with cross_entropy (tests/models/fused_loss_test.cpp
    // checks that against cross_entropy of forward's logits).
    const Tensor loss = by_hand->loss(batch.source, batch.source_padding, batch.target_in, batch.target_out,
                                      {.ignore_index = data::Vocab::kPad, .label_smoothing = 0.1});
    loss.backward();
    const auto params = by_hand->parameters();
    const double norm = clip_norm > 0 ? clip_grad_norm_(params, clip_norm) : grad_norm(params);
    by_hand_optimizer.step();

    CHECK(r.applied);
    CHECK(r.loss == loss.item());
    CHECK(r.grad_norm == norm);
    CHECK(r.grad_norm > 0.5);  // so the 0.5 clip really rescaled the gradients
    CHECK(r.source_tokens == batch.source_tokens);
    CHECK(r.target_tokens == batch.target_tokens);
    CHECK(optimizer.lr() == 0.01);
    CHECK(optimizer.step_count() == 1);
    const auto after = values_of(model->parameters());
    CHECK(after == values_of(params));  // bitwise: the same operations in the same order
    CHECK(after != before);
  }
}

TEST_CASE("train_step: a step whose loss is not finite changes no weight and no optimizer state", "[train]") {
  auto model = tiny_model(3);
  Adam optimizer(model->parameters(), {.lr = 1e-3});
  const auto named = model->named_parameters();
  const auto bias =
      std::find_if(named.begin(), named.end(), [](const auto& p) { return p.first == "output_projection.bias"; });
  REQUIRE(bias != named.end());
  raw::fill_(bias->second, std::numeric_limits<double>::quiet_NaN());  // every logit becomes NaN
  const auto before = values_of(model->parameters());

  const train::StepResult r = train::train_step(*model, optimizer, tiny_batch(), {.lr = 0.01, .clip_norm = 1});

  INFO("loss " << r.loss << ", gradient norm " << r.grad_norm);
  CHECK_FALSE(r.applied);
  CHECK(std::isnan(r.loss));
  CHECK(std::isnan(r.grad_norm));
  CHECK(optimizer.step_count() == 0);
  CHECK(optimizer.state().tensors.empty());  // no moment estimates were created
  const auto after = values_of(model->parameters());
  for (size_t i = 0; i < after.size(); ++i) {
    INFO(named[i].first);
    if (named[i].first != bias->first) CHECK(after[i] == before[i]);
  }
}
