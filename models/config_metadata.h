// config_metadata.h — what configs share for their round trip through checkpoint metadata
// (string → string): typed lookups whose errors name the config and the key, the text of a bool,
// and the check that an attention name ("variant" or "variant+normaliser") is registered.
// read_fields (config_fields.h) uses the lookups for every field of a config.
//
//   MetadataReader r("TransformerConfig::from_metadata", metadata);
//   c.d_model = r.integer("d_model");      // throws "...: key 'd_model' is not an integer: 'x'"
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tensor/dtype.h"
#include "tensor/enum_names.h"
#include "tensor/error.h"

namespace qkv::models {

class MetadataReader {
 public:
  // `owner` starts every error message, e.g. "TransformerConfig::from_metadata".
  MetadataReader(std::string owner, const std::map<std::string, std::string>& metadata)
      : owner_(std::move(owner)), metadata_(metadata) {}

  bool has(const std::string& key) const { return metadata_.count(key) > 0; }
  const std::string& text(const std::string& key) const;  // throws if the key is missing
  int64_t integer(const std::string& key) const;
  uint64_t unsigned_integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;  // "true" or "false"
  Dtype dtype(const std::string& key) const;   // "float32" or "float64"
  // A name from E's table (tensor/enum_names.h): "...: key 'cell': unknown RNN cell 'rnn' (known: gru, lstm)".
  template <class E>
  E choice(const std::string& key) const {
    return parse_enum<E>(text(key), fmt::format("{}: key '{}'", owner_, key));
  }
  // T::parse of the text (a TextValue, config_fields.h); its error gets "<owner>: key '<key>': " in front.
  template <class T>
  T parsed(const std::string& key) const {
    try {
      return T::parse(text(key));
    } catch (const Error& e) {
      throw Error(fmt::format("{}: key '{}': {}", owner_, key, e.what()));
    }
  }

 private:
  std::string owner_;
  const std::map<std::string, std::string>& metadata_;
};

inline const char* bool_text(bool b) { return b ? "true" : "false"; }

// Throws qkv::Error starting with `owner` and naming `field` unless `name` is a registered
// attention variant, optionally followed by "+" and a registered normaliser.
void check_attention_name(const std::string& owner, const char* field, const std::string& name);

}  // namespace qkv::models
