// transformer_config.cpp — TransformerConfig's metadata round trip and validation.
#include "models/transformer_config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <vector>

#include "nn/attention/variant.h"
#include "tensor/error.h"

namespace qkv::models {
namespace {

const char* bool_text(bool b) { return b ? "true" : "false"; }

const std::string& lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  check(it != m.end(), "TransformerConfig::from_metadata: missing key '{}'", key);
  return it->second;
}

int64_t parse_int(const std::map<std::string, std::string>& m, const std::string& key) {
  const std::string& s = lookup(m, key);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  check(ec == std::errc() && end == s.data() + s.size() && !s.empty(),
        "TransformerConfig::from_metadata: key '{}' is not an integer: '{}'", key, s);
  return value;
}

double parse_double(const std::map<std::string, std::string>& m, const std::string& key) {
  const std::string& s = lookup(m, key);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  check(!s.empty() && end == s.c_str() + s.size(), "TransformerConfig::from_metadata: key '{}' is not a number: '{}'",
        key, s);
  return value;
}

bool parse_bool(const std::map<std::string, std::string>& m, const std::string& key) {
  const std::string& s = lookup(m, key);
  check(s == "true" || s == "false", "TransformerConfig::from_metadata: key '{}' must be true or false, got '{}'", key,
        s);
  return s == "true";
}

Dtype parse_dtype(const std::map<std::string, std::string>& m, const std::string& key) {
  const std::string& s = lookup(m, key);
  if (s == "float32") return Dtype::float32;
  if (s == "float64") return Dtype::float64;
  throw Error(fmt::format("TransformerConfig::from_metadata: key '{}' must be float32 or float64, got '{}'", key, s));
}

bool registered(const std::vector<RegistryEntry>& entries, const std::string& name) {
  return std::any_of(entries.begin(), entries.end(), [&](const RegistryEntry& e) { return e.name == name; });
}

std::string names_of(const std::vector<RegistryEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

// "variant" or "variant+normaliser", both registered.
void check_attention_name(const char* field, const std::string& name) {
  const auto plus = name.find('+');
  const std::string variant = name.substr(0, plus);
  check(registered(attention_variants(), variant), "TransformerConfig: {} '{}' is not a registered variant (known: {})",
        field, variant, names_of(attention_variants()));
  if (plus != std::string::npos) {
    const std::string normaliser = name.substr(plus + 1);
    check(registered(normalisers(), normaliser),
          "TransformerConfig: {} '{}' names an unknown normaliser '{}' (known: {})", field, name, normaliser,
          names_of(normalisers()));
  }
}

}  // namespace

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
  TransformerConfig c;
  c.source_vocab = parse_int(m, "source_vocab");
  c.target_vocab = parse_int(m, "target_vocab");
  c.d_model = parse_int(m, "d_model");
  c.num_heads = parse_int(m, "num_heads");
  c.encoder_layers = parse_int(m, "encoder_layers");
  c.decoder_layers = parse_int(m, "decoder_layers");
  c.ffn_dim = parse_int(m, "ffn_dim");
  c.dropout = parse_double(m, "dropout");
  c.attention_dropout = parse_double(m, "attention_dropout");
  c.pre_norm = parse_bool(m, "pre_norm");
  c.learned_positions = parse_bool(m, "learned_positions");
  c.max_positions = parse_int(m, "max_positions");
  c.share_embeddings = parse_bool(m, "share_embeddings");
  c.tie_output = parse_bool(m, "tie_output");
  c.self_attention = lookup(m, "self_attention");
  c.cross_attention = lookup(m, "cross_attention");
  c.activation = lookup(m, "activation");
  c.dtype = parse_dtype(m, "dtype");
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
  check_attention_name("self_attention", self_attention);
  check_attention_name("cross_attention", cross_attention);
  static const std::vector<std::string> activations = {"relu", "gelu", "tanh", "sigmoid"};
  check(std::find(activations.begin(), activations.end(), activation) != activations.end(),
        "TransformerConfig: unknown activation '{}' (known: relu, gelu, tanh, sigmoid)", activation);
}

}  // namespace qkv::models
