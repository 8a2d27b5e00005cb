// attention_options_test.cpp — a Transformer's variant options (models/attention_options.h): the
// text form and its errors, one value per layer, the checkpoint-metadata round trip (and
// checkpoints from before the options existed), TransformerConfig::validate's refusals, and
// multi-scale keys: conv with a different kernel size in each layer.
#include <catch2/catch.hpp>

#include "models/attention_options.h"
#include "models/transformer.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using Catch::Matchers::Contains;
using qkv::models::testing::tiny_config;

namespace {

// The shape of the named parameter of `model`; fails the test if there is none.
Shape parameter_shape(Module& model, const std::string& name) {
  for (auto& [n, p] : model.named_parameters()) {
    if (n == name) return p.shape();
  }
  FAIL("no parameter " << name);
  return {};
}

}  // namespace

TEST_CASE("attention options read and write key=value lists", "[models]") {
  const AttentionOptions o = AttentionOptions::parse("stride=4, band=1");
  CHECK(o.values == std::map<std::string, std::vector<double>>{{"band", {1}}, {"stride", {4}}});
  CHECK(o.text() == "band=1,stride=4");
  const AttentionOptions per_layer = AttentionOptions::parse("kernel=3,5,7,queries=1");
  CHECK(per_layer.values.at("kernel") == std::vector<double>{3, 5, 7});
  CHECK(per_layer.values.at("queries") == std::vector<double>{1});
  CHECK(AttentionOptions::parse(per_layer.text()) == per_layer);
  CHECK(AttentionOptions::parse("eps=1e-09").text() == "eps=1e-09");
  CHECK(AttentionOptions::parse("").empty());
  CHECK(AttentionOptions().text().empty());
}

TEST_CASE("attention options refuse text they cannot read, naming the piece", "[models]") {
  CHECK_THROWS_WITH(AttentionOptions::parse("3,window=2"), Contains("'3' has no key"));
  CHECK_THROWS_WITH(AttentionOptions::parse("=2"), Contains("'=2' has no key"));
  CHECK_THROWS_WITH(AttentionOptions::parse("window="), Contains("'' is not a finite number"));
  CHECK_THROWS_WITH(AttentionOptions::parse("window=two"), Contains("'two' is not a finite number"));
  CHECK_THROWS_WITH(AttentionOptions::parse("window=inf"), Contains("'inf' is not a finite number"));
  CHECK_THROWS_WITH(AttentionOptions::parse("window=2,window=3"), Contains("window is given twice"));
}

TEST_CASE("a list gives layer i its i-th value, a single value every layer", "[models]") {
  const AttentionOptions o = AttentionOptions::parse("kernel=3,5,7,queries=1");
  CHECK(o.for_layer(0, 3, "encoder") == std::map<std::string, double>{{"kernel", 3}, {"queries", 1}});
  CHECK(o.for_layer(2, 3, "encoder") == std::map<std::string, double>{{"kernel", 7}, {"queries", 1}});
  CHECK_THROWS_WITH(o.for_layer(0, 4, "decoder"),
                    Contains("option kernel has 3 values, one per layer, but the decoder has 4 layers"));
}

TEST_CASE("TransformerConfig keeps attention options through checkpoint metadata", "[models]") {
  TransformerConfig c = tiny_config(false);
  c.self_attention = "local";
  c.self_attention_options = AttentionOptions::parse("window=1,3");
  c.cross_attention = "conv";
  c.cross_attention_options = AttentionOptions::parse("kernel=5");
  const auto m = c.to_metadata();
  CHECK(m.at("self_attention_options") == "window=1,3");
  CHECK(m.at("cross_attention_options") == "kernel=5");
  const TransformerConfig back = TransformerConfig::from_metadata(m);
  CHECK(back.self_attention_options == c.self_attention_options);
  CHECK(back.cross_attention_options == c.cross_attention_options);

  CHECK(tiny_config(false).to_metadata().count("self_attention_options") == 0);  // none: not written
  auto old = m;  // a checkpoint written before the options existed
  old.erase("self_attention_options");
  old.erase("cross_attention_options");
  CHECK(TransformerConfig::from_metadata(old).self_attention_options.empty());

  auto bad = m;
  bad["self_attention_options"] = "window=x";
  CHECK_THROWS_WITH(TransformerConfig::from_metadata(bad),
                    Contains("TransformerConfig::from_metadata: key 'self_attention_options': attention options "
                             "'window=x': 'x' is not a finite number"));
}

TEST_CASE("TransformerConfig refuses options its variants do not take, naming the field", "[models]") {
  TransformerConfig c = tiny_config(false);
  c.self_attention = "local";
  c.self_attention_options = AttentionOptions::parse("windw=3");
  CHECK_THROWS_WITH(c.validate(), Contains("TransformerConfig: self_attention_options 'windw=3': attention 'local': "
                                           "unknown option 'windw'; local takes window"));
  c.self_attention_options = AttentionOptions::parse("window=-2");
  CHECK_THROWS_WITH(c.validate(), Contains("option 'window' must be >= 0 and whole, got -2"));
  c.self_attention_options = AttentionOptions::parse("window=2");
  c.cross_attention_options = AttentionOptions::parse("window=2");  // cross-attention is scaled_dot
  CHECK_THROWS_WITH(c.validate(), Contains("TransformerConfig: cross_attention_options 'window=2': attention "
                                           "'scaled_dot': unknown option 'window'"));
  c.cross_attention_options = {};
  c.encoder_layers = 3;  // self-attention options serve both stacks: a list must fit each
  c.self_attention_options = AttentionOptions::parse("window=1,2,3");
  CHECK_THROWS_WITH(c.validate(), Contains("option window has 3 values, one per layer, but the decoder has 2 layers"));
  c.decoder_layers = 3;
  CHECK_NOTHROW(c.validate());
}

TEST_CASE("multi-scale keys: conv with kernel=3,5,7 convolves layer i's keys over the i-th size", "[models]") {
  TransformerConfig c = tiny_config(false, Dtype::float32);
  c.encoder_layers = c.decoder_layers = 3;
  c.self_attention = "conv";
  c.self_attention_options = AttentionOptions::parse("kernel=3,5,7");
  c.cross_attention = "conv";
  c.cross_attention_options = AttentionOptions::parse("kernel=1,2,4,queries=1");
  c.validate();
  Transformer model(c);
  const int64_t H = c.num_heads, Dh = c.d_model / c.num_heads;
  const std::vector<int64_t> self_sizes = {3, 5, 7}, cross_sizes = {1, 2, 4};
  for (int64_t i = 0; i < 3; ++i) {
    const std::string layer = std::to_string(i);
    const Shape self_kernel = {H, self_sizes[i], Dh}, cross_kernel = {H, cross_sizes[i], Dh};
    CHECK(parameter_shape(model, "encoder.layers." + layer + ".self_attn.attention.key_kernel") == self_kernel);
    CHECK(parameter_shape(model, "decoder.layers." + layer + ".self_attn.attention.key_kernel") == self_kernel);
    CHECK(parameter_shape(model, "decoder.layers." + layer + ".cross_attn.attention.key_kernel") == cross_kernel);
    CHECK(parameter_shape(model, "decoder.layers." + layer + ".cross_attn.attention.query_kernel") == cross_kernel);
  }
  Generator gen(5);
  model.reset_parameters(gen);
  testing::require_finite_training_step(model, testing::random_batch({5, 3}, 5, 4, 11, 13, gen));
}
