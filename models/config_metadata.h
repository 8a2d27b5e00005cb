// config_metadata.h — what model configs share for their round trip through checkpoint metadata
// (string → string): typed lookups whose errors name the config and the key, the text of a bool,
// and the check that an attention name ("variant" or "variant+normaliser") is registered.
//
//   MetadataReader r("TransformerConfig::from_metadata", metadata);
//   c.d_model = r.integer("d_model");      // throws "...: key 'd_model' is not an integer: 'x'"
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tensor/dtype.h"

namespace qkv::models {

class MetadataReader {
 public:
  // `owner` starts every error message, e.g. "TransformerConfig::from_metadata".
  MetadataReader(std::string owner, const std::map<std::string, std::string>& metadata)
      : owner_(std::move(owner)), metadata_(metadata) {}

  const std::string& text(const std::string& key) const;  // throws if the key is missing
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;  // "true" or "false"
  Dtype dtype(const std::string& key) const;   // "float32" or "float64"

 private:
  std::string owner_;
  const std::map<std::string, std::string>& metadata_;
};

inline const char* bool_text(bool b) { return b ? "true" : "false"; }

// Throws qkv::Error starting with `owner` and naming `field` unless `name` is a registered
// attention variant, optionally followed by "+" and a registered normaliser.
void check_attention_name(const std::string& owner, const char* field, const std::string& name);

}  // namespace qkv::models
