// builtin_variants_static.cpp — a program linked against the plain static archive libqkv.a
// (no --whole-archive), the way `g++ main.cpp libqkv.a -lopenblas -lfmt` links: every built-in
// attention variant and normaliser must still be there. It builds a MultiHeadAttention with
// each by name (the list is written out here, not read from the registry, which would be empty
// if registration had been dropped) and runs it; it exits 1 naming what is missing, or a
// registered built-in the list lacks.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nn/attention/multi_head_attention.h"
#include "nn/attention/variant.h"
#include "tensor/factories.h"
#include "tensor/random.h"

using namespace qkv;

int main() {
  const std::vector<std::string> variants{
      "additive",   "bilinear",        "concat", "conv",        "cosine",  "dot",          "gaussian",
      "hard",       "linear",          "local",  "mlp_sigmoid", "pearson", "per_position", "random_keys",
      "scaled_dot", "stochastic_hard", "strided"};
  const std::vector<std::string> normalisers{"entmax15", "sigmoid", "softmax", "sparsemax"};
  std::vector<std::string> names = variants;
  for (const std::string& n : normalisers) names.push_back("scaled_dot+" + n);

  Generator gen(7);
  const Tensor x = randn({2, 5, 8}, gen);  // (B, T, E)
  int failures = 0;
  for (const std::string& name : names) {
    try {
      MultiHeadAttentionConfig config;
      config.embed_dim = 8;
      config.num_heads = 2;
      config.attention = name;
      MultiHeadAttention mha(config);
      mha.reset_parameters(gen);
      const Tensor out = mha.forward(x, x, x).out;
      if (out.shape() != x.shape()) throw std::runtime_error(fmt::format("output shape {}", out.shape()));
      fmt::print("{:<22} ok\n", name);
    } catch (const std::exception& e) {
      fmt::print(stderr, "{:<22} FAILED: {}\n", name, e.what());
      ++failures;
    }
  }
  // The list above must be every built-in: a variant added to builtin.cpp but not here would go
  // untested under static linking.
  for (const RegistryEntry& entry : attention_variants()) {
    if (std::find(variants.begin(), variants.end(), entry.name) == variants.end()) {
      fmt::print(stderr, "{:<22} FAILED: registered but missing from this test's list\n", entry.name);
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
