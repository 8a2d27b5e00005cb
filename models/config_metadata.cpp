// config_metadata.cpp — typed metadata lookups and the attention-name check for model configs.
#include "models/config_metadata.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <vector>

#include "nn/attention/variant.h"
#include "tensor/error.h"

namespace qkv::models {
namespace {

bool registered(const std::vector<RegistryEntry>& entries, const std::string& name) {
  return std::any_of(entries.begin(), entries.end(), [&](const RegistryEntry& e) { return e.name == name; });
}

std::string names_of(const std::vector<RegistryEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

}  // namespace

const std::string& MetadataReader::text(const std::string& key) const {
  auto it = metadata_.find(key);
  check(it != metadata_.end(), "{}: missing key '{}'", owner_, key);
  return it->second;
}

int64_t MetadataReader::integer(const std::string& key) const {
  const std::string& s = text(key);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  check(ec == std::errc() && end == s.data() + s.size() && !s.empty(), "{}: key '{}' is not an integer: '{}'", owner_,
        key, s);
  return value;
}

uint64_t MetadataReader::unsigned_integer(const std::string& key) const {
  const std::string& s = text(key);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  check(ec == std::errc() && end == s.data() + s.size() && !s.empty(), "{}: key '{}' is not an unsigned integer: '{}'",
        owner_, key, s);
  return value;
}

double MetadataReader::number(const std::string& key) const {
  const std::string& s = text(key);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  check(!s.empty() && end == s.c_str() + s.size(), "{}: key '{}' is not a number: '{}'", owner_, key, s);
  return value;
}

bool MetadataReader::boolean(const std::string& key) const {
  const std::string& s = text(key);
  check(s == "true" || s == "false", "{}: key '{}' must be true or false, got '{}'", owner_, key, s);
  return s == "true";
}

Dtype MetadataReader::dtype(const std::string& key) const {
  const std::string& s = text(key);
  if (s == "float32") return Dtype::float32;
  if (s == "float64") return Dtype::float64;
  throw Error(fmt::format("{}: key '{}' must be float32 or float64, got '{}'", owner_, key, s));
}

void check_attention_name(const std::string& owner, const char* field, const std::string& name) {
  const auto plus = name.find('+');
  const std::string variant = name.substr(0, plus);
  check(registered(attention_variants(), variant), "{}: {} '{}' is not a registered variant (known: {})", owner, field,
        variant, names_of(attention_variants()));
  if (plus != std::string::npos) {
    const std::string normaliser = name.substr(plus + 1);
    check(registered(normalisers(), normaliser), "{}: {} '{}' names an unknown normaliser '{}' (known: {})", owner,
          field, name, normaliser, names_of(normalisers()));
  }
}

}  // namespace qkv::models
