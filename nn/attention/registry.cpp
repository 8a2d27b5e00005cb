// registry.cpp — the name → factory tables for attention variants and normalisers.
// The tables are function-local statics, so a program's own registration from a static
// initialiser works whatever order files are initialised in. Every public entry point first
// makes sure the built-ins are in (builtin.cpp), exactly once, whichever thread comes first.
#include <algorithm>

#include "nn/attention/variant.h"

namespace qkv {

void register_builtin_attention();  // builtin.cpp

namespace {

struct VariantEntry {
  std::string description;
  AttentionFactory factory;
};
struct NormaliserEntry {
  std::string description;
  Normaliser normalise;
};

std::map<std::string, VariantEntry>& variant_table() {
  static std::map<std::string, VariantEntry> table;
  return table;
}
std::map<std::string, NormaliserEntry>& normaliser_table() {
  static std::map<std::string, NormaliserEntry> table;
  return table;
}

// While the built-ins register, register_attention must not wait for them to finish (it is
// called from inside ensure_builtins): this flag lets those calls through on that thread.
thread_local bool registering_builtins = false;

void ensure_builtins() {
  if (registering_builtins) return;
  // A function-local static: initialised once, other threads wait until it is done.
  static const bool done = [] {
    registering_builtins = true;
    struct Reset {
      ~Reset() { registering_builtins = false; }
    } reset;
    register_builtin_attention();
    return true;
  }();
  (void)done;
}

template <class Table>
std::string known_names(const Table& table) {
  std::string names;
  for (const auto& [name, entry] : table) names += (names.empty() ? "" : ", ") + name;
  return names;
}

}  // namespace

double AttentionConfig::option(const std::string& key, double fallback) const {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

bool register_attention(const std::string& name, const std::string& description, AttentionFactory factory) {
  ensure_builtins();
  check(variant_table().count(name) == 0, "register_attention: '{}' is registered twice", name);
  variant_table()[name] = {description, std::move(factory)};
  return true;
}

bool register_normaliser(const std::string& name, const std::string& description, Normaliser normaliser) {
  ensure_builtins();
  check(normaliser_table().count(name) == 0, "register_normaliser: '{}' is registered twice", name);
  normaliser_table()[name] = {description, std::move(normaliser)};
  return true;
}

Normaliser find_normaliser(const std::string& name) {
  ensure_builtins();
  const auto it = normaliser_table().find(name);
  check(it != normaliser_table().end(), "attention: unknown normaliser '{}' (known: {})", name,
        known_names(normaliser_table()));
  return it->second.normalise;
}

std::unique_ptr<AttentionVariant> make_attention(const std::string& name, AttentionConfig config) {
  ensure_builtins();
  std::string variant = name;
  if (const size_t plus = name.find('+'); plus != std::string::npos) {
    variant = name.substr(0, plus);
    config.normaliser = name.substr(plus + 1);
  }
  const auto it = variant_table().find(variant);
  check(it != variant_table().end(), "attention: unknown variant '{}' (known: {})", variant,
        known_names(variant_table()));
  check(config.num_heads > 0 && config.head_dim > 0, "attention '{}': num_heads {} and head_dim {} must be positive",
        name, config.num_heads, config.head_dim);
  if (config.value_dim == 0) config.value_dim = config.head_dim;
  std::unique_ptr<AttentionVariant> attention = it->second.factory(config);
  check(variant == name || attention->uses_normaliser(),
        "attention '{}': {} uses no normaliser (it forms no attention weights to normalise), so '+{}' would be "
        "ignored; use '{}' alone",
        name, variant, config.normaliser, variant);
  return attention;
}

std::vector<RegistryEntry> attention_variants() {
  ensure_builtins();
  std::vector<RegistryEntry> out;
  for (const auto& [name, entry] : variant_table()) out.push_back({name, entry.description});
  return out;
}

std::vector<RegistryEntry> normalisers() {
  ensure_builtins();
  std::vector<RegistryEntry> out;
  for (const auto& [name, entry] : normaliser_table()) out.push_back({name, entry.description});
  return out;
}

}  // namespace qkv
