// transformer_config.cpp — TransformerConfig's metadata round trip and validation.
#include "models/transformer_config.h"

#include <algorithm>
#include <vector>

#include "models/config_metadata.h"
#include "tensor/error.h"

namespace qkv::models {

std::map<std::string, std::string> TransformerConfig::to_metadata() const {
  return {
      {"source_vocab", fmt::format("{}", source_vocab)},
      {"target_vocab", fmt::format("{}", target_vocab)},
      {"d_model", fmt::format("{}", d_model)},
      {"num_heads", fmt::format("{}", num_heads)},
      {"encoder_layers", fmt::format("{}", encoder_layers)},
      {"decoder_layers", fmt::format("{}", decoder_layers)},
      {"ffn_dim", fmt::format("{}", ffn_dim)},
      {"dropout", fmt::format("{}", dropout)},  // shortest text that reads back exactly
      {"attention_dropout", fmt::format("{}", attention_dropout)},
      {"pre_norm", bool_text(pre_norm)},
      {"learned_positions", bool_text(learned_positions)},
      {"max_positions", fmt::format("{}", max_positions)},
      {"share_embeddings", bool_text(share_embeddings)},
      {"tie_output", bool_text(tie_output)},
      {"self_attention", self_attention},
      {"cross_attention", cross_attention},
      {"activation", activation},
      {"dtype", std::string(dtype_name(dtype))},
  };
}

TransformerConfig TransformerConfig::from_metadata(const std::map<std::string, std::string>& m) {
  const MetadataReader r("TransformerConfig::from_metadata", m);
  TransformerConfig c;
  c.source_vocab = r.integer("source_vocab");
  c.target_vocab = r.integer("target_vocab");
  c.d_model = r.integer("d_model");
  c.num_heads = r.integer("num_heads");
  c.encoder_layers = r.integer("encoder_layers");
  c.decoder_layers = r.integer("decoder_layers");
  c.ffn_dim = r.integer("ffn_dim");
  c.dropout = r.number("dropout");
  c.attention_dropout = r.number("attention_dropout");
  c.pre_norm = r.boolean("pre_norm");
  c.learned_positions = r.boolean("learned_positions");
  c.max_positions = r.integer("max_positions");
  c.share_embeddings = r.boolean("share_embeddings");
  c.tie_output = r.boolean("tie_output");
  c.self_attention = r.text("self_attention");
  c.cross_attention = r.text("cross_attention");
  c.activation = r.text("activation");
  c.dtype = r.dtype("dtype");
  c.validate();
  return c;
}

void TransformerConfig::validate() const {
  check(source_vocab > 0 && target_vocab > 0, "TransformerConfig: source_vocab {} and target_vocab {} must be positive",
        source_vocab, target_vocab);
  check(d_model > 0 && num_heads > 0, "TransformerConfig: d_model {} and num_heads {} must be positive", d_model,
        num_heads);
  check(d_model % num_heads == 0, "TransformerConfig: d_model {} is not divisible by num_heads {}", d_model, num_heads);
  check(encoder_layers >= 1 && decoder_layers >= 1,
        "TransformerConfig: encoder_layers {} and decoder_layers {} must be at least 1", encoder_layers,
        decoder_layers);
  check(ffn_dim > 0, "TransformerConfig: ffn_dim {} must be positive", ffn_dim);
  check(dropout >= 0 && dropout < 1, "TransformerConfig: dropout {} is outside [0, 1)", dropout);
  check(attention_dropout >= 0 && attention_dropout < 1, "TransformerConfig: attention_dropout {} is outside [0, 1)",
        attention_dropout);
  check(max_positions >= 2, "TransformerConfig: max_positions {} must be at least 2", max_positions);
  check(!share_embeddings || source_vocab == target_vocab,
        "TransformerConfig: share_embeddings needs equal vocabularies, got source_vocab {} and target_vocab {}",
        source_vocab, target_vocab);
  check(is_floating(dtype), "TransformerConfig: dtype must be float32 or float64, got {}", dtype_name(dtype));
  check_attention_name("TransformerConfig", "self_attention", self_attention);
  check_attention_name("TransformerConfig", "cross_attention", cross_attention);
  static const std::vector<std::string> activations = {"relu", "gelu", "tanh", "sigmoid"};
  check(std::find(activations.begin(), activations.end(), activation) != activations.end(),
        "TransformerConfig: unknown activation '{}' (known: relu, gelu, tanh, sigmoid)", activation);
}

}  // namespace qkv::models
