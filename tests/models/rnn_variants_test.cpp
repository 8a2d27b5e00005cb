// rnn_variants_test.cpp — every registered attention variant (and every normaliser with the
// additive one) as the RNN decoder's match function: the model trains (finite loss, every
// parameter gets a finite gradient) and its step-by-step decoding reproduces the teacher-forced
// logits. Variants that cannot serve are named by the registry itself and must be rejected with
// a message saying why — never skipped in silence.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/rnn_seq2seq.h"
#include "nn/attention/variant.h"
#include "nn/functional.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::max_step_difference;
using qkv::models::testing::random_batch;
using qkv::models::testing::require_finite_training_step;
using qkv::models::testing::tiny_rnn_config;

namespace {

void train_and_step(const std::string& attention, Generator& gen) {
  INFO("attention " << attention);
  RnnSeq2SeqConfig c = tiny_rnn_config("gru", attention, Dtype::float64);
  c.dropout = 0.1;
  RnnSeq2Seq model(c);
  model.reset_parameters(gen);
  const auto batch = random_batch({5, 3}, 5, 4, 11, 13, gen);
  require_finite_training_step(model, batch);

  REQUIRE(max_step_difference(model, batch) < 1e-10);
}

}  // namespace

TEST_CASE("every attention variant serves as the RNN decoder's attention or is rejected with a reason",
          "[models][rnn]") {
  Generator gen(71);
  int served = 0;
  for (const auto& entry : attention_variants()) {
    AttentionConfig probe;
    probe.head_dim = 1;
    // Position-tied variants (local, strided; variant.h) place query i at key position
    // i + (Tk - Tq). A decoder step attends over the source with one query that has no source
    // position, so their pattern would follow the padded source length: the config refuses
    // them and says why.
    if (make_attention(entry.name, probe)->position_tied()) {
      INFO("position-tied variant " << entry.name);
      CHECK_THROWS_WITH(RnnSeq2Seq(tiny_rnn_config("gru", entry.name)), Catch::Contains("position-tied"));
      continue;
    }
    train_and_step(entry.name, gen);
    ++served;
  }
  CHECK(served >= 8);
  for (const auto& n : normalisers()) train_and_step("additive+" + n.name, gen);
}
