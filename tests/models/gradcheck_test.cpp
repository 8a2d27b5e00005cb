// gradcheck_test.cpp — finite-difference gradchecks (float64) of a tiny Transformer's loss with
// respect to parameters in every part of the model, both norm placements, with source padding.
#include <catch2/catch.hpp>

#include "autograd/gradcheck.h"
#include "models/transformer.h"
#include "nn/functional.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using namespace qkv::models;
using qkv::models::testing::random_batch;
using qkv::models::testing::tiny_config;

TEST_CASE("Transformer loss gradchecks for post-norm and pre-norm with padding", "[models]") {
  for (bool pre : {false, true}) {
    for (bool learned : {false, true}) {
      INFO("pre_norm " << pre << " learned_positions " << learned);
      TransformerConfig c = tiny_config(pre);
      c.learned_positions = learned;
      c.tie_output = !learned;
      c.encoder_layers = c.decoder_layers = 1;
      c.source_vocab = 7;
      c.target_vocab = 6;
      c.ffn_dim = 6;
      c.max_positions = 8;
      Transformer model(c);
      Generator gen(21 + 2 * pre + learned);
      model.reset_parameters(gen);
      auto batch = random_batch({4, 2}, 4, 3, 7, 6, gen);
      std::vector<Tensor> params;
      for (auto& [name, p] : model.named_parameters()) {
        if (name == "source_embedding.weight" || name == "encoder.layers.0.self_attn.q_proj.weight" ||
            name == "encoder.layers.0.norm2.weight" || name == "decoder.layers.0.self_attn.v_proj.bias" ||
            name == "decoder.layers.0.cross_attn.k_proj.weight" || name == "decoder.layers.0.ffn.linear1.bias" ||
            name == "decoder.layers.0.norm1.bias" || name == "output_projection.bias" ||
            name == "output_projection.weight" || name == "target_positions.weight" ||
            name == "target_embedding.weight" || name == "decoder.norm.weight") {
          params.push_back(p);
        }
      }
      CHECK(params.size() == static_cast<size_t>(9 + 2 * learned + pre));
      gradcheck(
          "transformer loss",
          [&](const std::vector<Tensor>&) {
            const Tensor logits = model.forward(batch.src, batch.src_padding, batch.tgt_in);
            return cross_entropy(logits, batch.tgt_out, {.ignore_index = 0});
          },
          params);
    }
  }
}
