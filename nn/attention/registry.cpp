// registry.cpp — the name → factory tables for attention variants and normalisers.
// The tables are function-local statics, so a program's own registration from a static
// initialiser works whatever order files are initialised in. Every public entry point first
// makes sure the built-ins are in (builtin.cpp), exactly once, whichever thread comes first.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nn/attention/variant.h"

namespace qkv {

void register_builtin_attention();  // builtin.cpp

namespace {

struct VariantEntry {
  std::string description;
  AttentionFactory factory;
  std::vector<VariantOption> options;
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

// "window (a whole number >= 0, default 2), ..." or "no options".
std::string option_list(const std::vector<VariantOption>& options) {
  if (options.empty()) return "no options";
  std::string out;
  for (const VariantOption& o : options) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", o.key, o.summary());
  return out;
}

// The variant part of "variant+normaliser".
std::string variant_part(const std::string& name) { return name.substr(0, name.find('+')); }

const VariantEntry& find_variant(const std::string& variant) {
  const auto it = variant_table().find(variant);
  check(it != variant_table().end(), "attention: unknown variant '{}' (known: {})", variant,
        known_names(variant_table()));
  return it->second;
}

}  // namespace

std::string VariantOption::rule() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const bool positive = high == inf && ((low == 0 && low_open) || (whole && low == 1 && !low_open));
  std::string range;
  if (positive) {
    range = "positive";
  } else if (high == inf) {
    range = low == -inf ? "a number" : fmt::format("{} {}", low_open ? ">" : ">=", low);
  } else {
    range = fmt::format("in {}{}, {}]", low_open ? '(' : '[', low, high);
  }
  return whole ? range + " and whole" : range;
}

std::string VariantOption::violation(double value) const {
  const bool in_range = (low_open ? value > low : value >= low) && value <= high;  // NaN is in no range
  return in_range && (!whole || value == std::floor(value)) ? "" : rule();
}

std::string VariantOption::summary() const {
  return fmt::format("{}, default {}", rule(), fallback_text.empty() ? fmt::format("{}", fallback) : fallback_text);
}

double AttentionConfig::option(const std::string& key, double fallback) const {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

bool register_attention(const std::string& name, const std::string& description, AttentionFactory factory,
                        std::vector<VariantOption> options) {
  ensure_builtins();
  check(variant_table().count(name) == 0, "register_attention: '{}' is registered twice", name);
  for (size_t i = 0; i < options.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      check(options[i].key != options[j].key, "register_attention: '{}' declares option '{}' twice", name,
            options[i].key);
    }
    check(options[i].fallback_text.empty() ? options[i].violation(options[i].fallback).empty() : true,
          "register_attention: '{}': the default {} of option '{}' breaks its own rule ({})", name, options[i].fallback,
          options[i].key, options[i].violation(options[i].fallback));
  }
  variant_table()[name] = {description, std::move(factory), std::move(options)};
  return true;
}

void check_attention_options(const std::string& name, const std::map<std::string, double>& options) {
  ensure_builtins();
  const std::string variant = variant_part(name);
  const std::vector<VariantOption>& declared = find_variant(variant).options;
  for (const auto& [key, value] : options) {
    const std::string& wanted = key;  // clang 14 cannot capture a structured binding (C++20, P1091)
    const auto it =
        std::find_if(declared.begin(), declared.end(), [&](const VariantOption& o) { return o.key == wanted; });
    check(it != declared.end(), "attention '{}': unknown option '{}'; {} takes {}", name, key, variant,
          option_list(declared));
    const std::string broken = it->violation(value);
    check(broken.empty(), "attention '{}': option '{}' must be {}, got {}", name, key, broken, value);
  }
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
  const VariantEntry& entry = find_variant(variant);
  check_attention_options(name, config.options);
  check(config.num_heads > 0 && config.head_dim > 0, "attention '{}': num_heads {} and head_dim {} must be positive",
        name, config.num_heads, config.head_dim);
  if (config.value_dim == 0) config.value_dim = config.head_dim;
  std::unique_ptr<AttentionVariant> attention = entry.factory(config);
  check(variant == name || attention->uses_normaliser(),
        "attention '{}': {} uses no normaliser (it forms no attention weights to normalise), so '+{}' would be "
        "ignored; use '{}' alone",
        name, variant, config.normaliser, variant);
  return attention;
}

std::vector<RegistryEntry> attention_variants() {
  ensure_builtins();
  std::vector<RegistryEntry> out;
  for (const auto& [name, entry] : variant_table()) out.push_back({name, entry.description, entry.options});
  return out;
}

std::vector<RegistryEntry> normalisers() {
  ensure_builtins();
  std::vector<RegistryEntry> out;
  for (const auto& [name, entry] : normaliser_table()) out.push_back({name, entry.description});
  return out;
}

}  // namespace qkv
