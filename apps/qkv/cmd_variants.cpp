// cmd_variants.cpp — `qkv variants`: what --self-attention and --cross-attention accept, each
// variant's options (what --self-attention-options and --cross-attention-options accept), and
// the normalisers. `--tsv` prints one line per variant for scripts (scripts/leaderboard.sh):
//
//   name <TAB> yes|no (can it be a Transformer's cross-attention) <TAB> why not, or ""
//
// The answer comes from the variant itself (AttentionVariant::position_tied), built once with
// its default options, so a variant registered tomorrow is listed correctly without this file.
#include <fmt/format.h>

#include <memory>

#include "apps/qkv/commands.h"
#include "nn/attention/variant.h"

namespace qkv::cli {
namespace {

// "" when `name` can attend from target positions over source keys, else the reason.
std::string why_not_cross_attention(const std::string& name) {
  AttentionConfig config;
  config.num_heads = 1;
  config.head_dim = 4;
  if (!make_attention(name, config)->position_tied()) return "";
  return "position-tied: it ties query i to key i + (Tk - Tq), which has no meaning between target and source";
}

void print_table() {
  fmt::print(
      "attention variants (--self-attention / --cross-attention NAME[+NORMALISER]; options with\n"
      "--self-attention-options / --cross-attention-options KEY=VALUE,... or KEY=V1,V2,... one per layer):\n");
  for (const RegistryEntry& e : attention_variants()) {
    fmt::print("  {:<16} {}\n", e.name, e.description);
    for (const VariantOption& o : e.options) fmt::print("  {:<16}   {} ({}): {}\n", "", o.key, o.summary(), o.help);
  }
  fmt::print("normalisers:\n");
  for (const RegistryEntry& e : normalisers()) fmt::print("  {:<16} {}\n", e.name, e.description);
}

void print_tsv() {
  for (const RegistryEntry& e : attention_variants()) {
    const std::string why_not = why_not_cross_attention(e.name);
    fmt::print("{}\t{}\t{}\n", e.name, why_not.empty() ? "yes" : "no", why_not);
  }
}

}  // namespace

Command add_variants(CLI::App& app) {
  auto tsv = std::make_shared<bool>(false);
  app.add_flag("--tsv", *tsv, "one line per variant for scripts: name, yes/no (cross-attention), why not");
  return [tsv]() {
    if (*tsv) {
      print_tsv();
    } else {
      print_table();
    }
    return 0;
  };
}

}  // namespace qkv::cli
