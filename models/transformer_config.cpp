// transformer_config.cpp — TransformerConfig's metadata round trip and validation, from its field list.
#include "models/transformer_config.h"

#include "nn/attention/variant.h"
#include "tensor/error.h"

namespace qkv::models {
namespace {

struct Stack {
  const char* name;
  int64_t layers;
};

// Every layer's options of `variant` checked against what it declares; errors name the field.
void check_options(const char* field, const std::string& variant, const AttentionOptions& options,
                   std::initializer_list<Stack> stacks) {
  try {
    for (const Stack& stack : stacks) {
      for (int64_t i = 0; i < stack.layers; ++i)
        check_attention_options(variant, options.for_layer(i, stack.layers, stack.name));
    }
  } catch (const Error& e) {
    throw Error(fmt::format("TransformerConfig: {} '{}': {}", field, options.text(), e.what()));
  }
}

}  // namespace

std::map<std::string, std::string> TransformerConfig::to_metadata() const {
  std::map<std::string, std::string> out;
  write_fields(transformer_config_fields, *this, DoubleText::shortest, out);
  return out;
}

TransformerConfig TransformerConfig::from_metadata(const std::map<std::string, std::string>& m) {
  TransformerConfig c;
  read_fields(transformer_config_fields, MetadataReader("TransformerConfig::from_metadata", m), c, "",
              {"self_attention_options", "cross_attention_options"});
  c.validate();
  return c;
}

void TransformerConfig::validate() const {
  check_ranges(transformer_config_fields, *this, "TransformerConfig");
  check(d_model % num_heads == 0, "TransformerConfig: d_model {} is not divisible by num_heads {}", d_model, num_heads);
  check(!share_embeddings || source_vocab == target_vocab,
        "TransformerConfig: share_embeddings needs equal vocabularies, got source_vocab {} and target_vocab {}",
        source_vocab, target_vocab);
  check(is_floating(dtype), "TransformerConfig: dtype must be float32 or float64, got {}", dtype_name(dtype));
  check_attention_name("TransformerConfig", "self_attention", self_attention);
  check_attention_name("TransformerConfig", "cross_attention", cross_attention);
  check_options("self_attention_options", self_attention, self_attention_options,
                {{"encoder", encoder_layers}, {"decoder", decoder_layers}});
  check_options("cross_attention_options", cross_attention, cross_attention_options, {{"decoder", decoder_layers}});
}

}  // namespace qkv::models
