// variant_options_test.cpp — the options a variant declares when it registers (VariantOption,
// nn/attention/variant.h): make_attention refuses a key the variant does not declare and a value
// outside its range, naming the variant and listing what it takes; and every declared default is
// the value the variant really uses (a variant built with the default given explicitly computes
// exactly what it computes without it), checked for every registered variant.
#include <catch2/catch.hpp>

#include "tests/attention/attention_test_util.h"

using namespace qkv;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t kHeads = 2, kDim = 4, kLength = 12;

// Built from Generator(seed) in training mode (random variants draw from their own generator,
// seeded there), run on fixed q, k, v under a causal mask.
Tensor output(const std::string& name, const std::map<std::string, double>& options) {
  AttentionConfig config;
  config.num_heads = kHeads;
  config.head_dim = kDim;
  config.options = options;
  config.dtype = Dtype::float64;
  auto attention = make_attention(name, config);
  Generator gen(2718);
  attention->reset_parameters(gen);
  Generator data(99);
  const Tensor q = randn({2, kHeads, kLength, kDim}, data, Dtype::float64);
  const Tensor k = randn({2, kHeads, kLength, kDim}, data, Dtype::float64);
  const Tensor v = randn({2, kHeads, kLength, kDim}, data, Dtype::float64);
  return attention->forward(q, k, v, AttentionMask::causal(), false).out;
}

std::vector<VariantOption> declared(const std::string& name) {
  for (const RegistryEntry& e : attention_variants()) {
    if (e.name == name) return e.options;
  }
  FAIL("no variant " << name);
  return {};
}

}  // namespace

TEST_CASE("every variant's declared defaults are the values it uses", "[attention]") {
  int checked = 0;
  for (const RegistryEntry& e : attention_variants()) {
    for (const VariantOption& o : e.options) {
      if (!o.fallback_text.empty()) continue;  // a default that depends on the shape ("Dh") has no number
      INFO("variant " << e.name << ", option " << o.key << " = " << o.fallback);
      const Tensor implicit = output(e.name, {});
      const Tensor explicit_default = output(e.name, {{o.key, o.fallback}});
      REQUIRE(implicit.shape() == explicit_default.shape());
      CHECK(attention_test::max_diff(implicit, explicit_default) == 0.0);
      ++checked;
    }
  }
  CHECK(checked >= 10);
}

TEST_CASE("a declared default that differs from the variant's changes its output", "[attention]") {
  // The check above could not fail if every option were ignored: one value off the default does
  // change what each of these computes (window, kernel size, sample count).
  CHECK(attention_test::max_diff(output("local", {}), output("local", {{"window", 3}})) > 1e-6);
  CHECK(attention_test::max_diff(output("random_keys", {}), output("random_keys", {{"samples", 4}})) > 1e-6);
  CHECK(attention_test::max_diff(output("conv", {}), output("conv", {{"kernel", 5}})) > 1e-6);
}

TEST_CASE("an option a variant does not declare is an error naming the variant and its options", "[attention]") {
  CHECK_THROWS_WITH(output("local", {{"windw", 4}}), Contains("attention 'local': unknown option 'windw'") &&
                                                         Contains("local takes window (>= 0 and whole, default 2)"));
  CHECK_THROWS_WITH(
      output("conv", {{"kernel_size", 5}}),
      Contains("conv takes kernel (positive and whole, default 3), queries (in [0, 1] and whole, default 0)"));
  CHECK_THROWS_WITH(output("dot", {{"window", 4}}),
                    Contains("attention 'dot': unknown option 'window'; dot takes no options"));
  CHECK_THROWS_WITH(output("cosine+sigmoid", {{"scal", 4}}),
                    Contains("attention 'cosine+sigmoid': unknown option 'scal'"));
}

TEST_CASE("an option value outside its declared range is an error naming the option and the value", "[attention]") {
  CHECK_THROWS_WITH(output("local", {{"window", -1}}),
                    Contains("attention 'local': option 'window' must be >= 0 and whole, got -1"));
  CHECK_THROWS_WITH(output("conv", {{"kernel", 2.5}}),
                    Contains("attention 'conv': option 'kernel' must be positive and whole, got 2.5"));
  CHECK_THROWS_WITH(output("stochastic_hard", {{"tau", 0}}), Contains("option 'tau' must be positive, got 0"));
  CHECK_THROWS_WITH(output("conv", {{"queries", 2}}), Contains("option 'queries' must be in [0, 1] and whole, got 2"));
  CHECK_NOTHROW(output("local", {{"window", 0}}));
  CHECK_NOTHROW(check_attention_options("strided", {{"stride", 4}, {"band", 0}}));
}

TEST_CASE("register_attention refuses an option declared twice or a default outside its own range", "[attention]") {
  const AttentionFactory factory = [](const AttentionConfig& c) { return make_attention("dot", c); };
  CHECK_THROWS_WITH(register_attention("options_test_twice", "", factory, {{.key = "a"}, {.key = "a"}}),
                    Contains("'options_test_twice' declares option 'a' twice"));
  CHECK_THROWS_WITH(register_attention("options_test_range", "", factory, {{.key = "n", .fallback = 0, .low = 1}}),
                    Contains("the default 0 of option 'n' breaks its own rule (>= 1)"));
  CHECK(declared("local").size() == 1);
}
