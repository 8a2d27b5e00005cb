// cmd_variants.cpp — `qkv variants`: what --self-attention and --cross-attention accept.
#include <fmt/format.h>

#include "apps/qkv/commands.h"
#include "nn/attention/variant.h"

namespace qkv::cli {

Command add_variants(CLI::App&) {
  return []() {
    fmt::print("attention variants (--self-attention / --cross-attention NAME[+NORMALISER]):\n");
    for (const auto& e : attention_variants()) fmt::print("  {:<12} {}\n", e.name, e.description);
    fmt::print("normalisers:\n");
    for (const auto& e : normalisers()) fmt::print("  {:<12} {}\n", e.name, e.description);
    return 0;
  };
}

}  // namespace qkv::cli
