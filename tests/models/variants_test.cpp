// variants_test.cpp — every registered attention variant (and every normaliser with the default
// variant) builds a Transformer for self- and cross-attention that trains: finite loss, and every
// parameter receives a gradient.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/transformer.h"
#include "nn/attention/variant.h"
#include "nn/functional.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::random_batch;
using qkv::models::testing::require_finite_training_step;
using qkv::models::testing::tiny_config;

namespace {

void forward_backward(const std::string& self, const std::string& cross, Generator& gen) {
  INFO("self_attention " << self << ", cross_attention " << cross);
  TransformerConfig c = tiny_config(false, Dtype::float32);
  c.self_attention = self;
  c.cross_attention = cross;
  c.encoder_layers = c.decoder_layers = 1;
  c.attention_dropout = 0.1;
  c.dropout = 0.1;
  Transformer model(c);
  model.reset_parameters(gen);
  require_finite_training_step(model, random_batch({5, 3}, 5, 4, 11, 13, gen));
}

}  // namespace

TEST_CASE("every attention variant builds a Transformer that runs forward and backward", "[models]") {
  Generator gen(31);
  const auto variants = attention_variants();
  REQUIRE(variants.size() >= 2);
  for (size_t i = 0; i < variants.size(); ++i) {
    // Each variant once as self-attention and once as cross-attention, paired with another.
    forward_backward(variants[i].name, variants[(i + 1) % variants.size()].name, gen);
  }
  for (const auto& n : normalisers()) forward_backward("scaled_dot+" + n.name, "scaled_dot+" + n.name, gen);
}
