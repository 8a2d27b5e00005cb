// attention_options.cpp — AttentionOptions' text form and its per-layer lookup.
#include "models/attention_options.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::models {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

double number(std::string_view piece, const std::string& text) {
  double value = 0;
  const auto [end, error] = std::from_chars(piece.data(), piece.data() + piece.size(), value);
  check(!piece.empty() && error == std::errc() && end == piece.data() + piece.size() && std::isfinite(value),
        "attention options '{}': '{}' is not a finite number", text, piece);
  return value;
}

}  // namespace

AttentionOptions AttentionOptions::parse(const std::string& text) {
  AttentionOptions out;
  std::vector<double>* current = nullptr;  // the list a bare value continues
  std::string_view rest = text;
  if (trimmed(rest).empty()) return out;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view piece = trimmed(rest.substr(0, comma));
    if (const size_t eq = piece.find('='); eq != std::string_view::npos) {
      const std::string key(trimmed(piece.substr(0, eq)));
      check(!key.empty(), "attention options '{}': '{}' has no key (write key=value, or key=v1,v2,... per layer)", text,
            piece);
      check(out.values.count(key) == 0, "attention options '{}': {} is given twice", text, key);
      current = &out.values[key];
      current->push_back(number(trimmed(piece.substr(eq + 1)), text));
    } else {
      check(current != nullptr, "attention options '{}': '{}' has no key (write key=value, or key=v1,v2,... per layer)",
            text, piece);
      current->push_back(number(piece, text));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string AttentionOptions::text() const {
  std::string out;
  for (const auto& [key, list] : values) {
    out += fmt::format("{}{}=", out.empty() ? "" : ",", key);
    for (size_t i = 0; i < list.size(); ++i) out += fmt::format("{}{}", i == 0 ? "" : ",", list[i]);
  }
  return out;
}

std::map<std::string, double> AttentionOptions::for_layer(int64_t layer, int64_t layers, std::string_view stack) const {
  std::map<std::string, double> out;
  for (const auto& [key, list] : values) {
    const auto n = static_cast<int64_t>(list.size());
    check(n == 1 || n == layers, "option {} has {} values, one per layer, but the {} has {} layers", key, n, stack,
          layers);
    out[key] = list[n == 1 ? 0 : static_cast<size_t>(layer)];
  }
  return out;
}

}  // namespace qkv::models
