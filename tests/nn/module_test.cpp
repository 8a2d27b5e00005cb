// module_test.cpp — the Module base: dotted names, counts, train/eval, moves, reset.
#include <catch2/catch.hpp>

#include <vector>

#include "nn/embedding.h"
#include "nn/layers.h"
#include "qkv.h"

using namespace qkv;
using Catch::Contains;

namespace {

// A two-level model, to see dotted names and the walk through submodules.
class Block : public Module {
 public:
  Block() : norm(4), ffn(4, 8, 0.1) {}
  void visit(ModuleVisitor& v) override {
    v.module("norm", norm);
    v.module("ffn", ffn);
  }
  LayerNorm norm;
  FeedForward ffn;
};

class Tiny : public Module {
 public:
  Tiny() : embed(10, 4, 0) {
    layers.emplace_back();
    layers.emplace_back();
  }
  void visit(ModuleVisitor& v) override {
    v.module("embed", embed);
    for (size_t i = 0; i < layers.size(); ++i) v.module("layers." + std::to_string(i), layers[i]);
  }
  Embedding embed;
  std::vector<Block> layers;
};

std::vector<std::string> names_of(Module& m) {
  std::vector<std::string> names;
  for (auto& [name, t] : m.named_parameters()) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("parameters have dotted names in declaration order", "[nn][module]") {
  Tiny model;
  const std::vector<std::string> names = names_of(model);
  REQUIRE(names.size() == 1 + 2 * 6);
  CHECK(names[0] == "embed.weight");
  CHECK(names[1] == "layers.0.norm.weight");
  CHECK(names[3] == "layers.0.ffn.linear1.weight");
  CHECK(names.back() == "layers.1.ffn.linear2.bias");
}

TEST_CASE("parameter count matches the closed form", "[nn][module]") {
  Tiny model;
  const int64_t d = 4, ff = 8, vocab = 10;
  const int64_t block = 2 * d + (d * ff + ff) + (ff * d + d);
  CHECK(model.parameter_count() == vocab * d + 2 * block);
  Linear no_bias(3, 5, false);
  CHECK(no_bias.parameter_count() == 15);
}

TEST_CASE("train and eval reach every submodule", "[nn][module]") {
  Tiny model;
  model.eval();
  CHECK_FALSE(model.training());
  CHECK_FALSE(model.layers[1].ffn.training());
  model.train();
  CHECK(model.layers[0].norm.training());
}

TEST_CASE("reset_parameters is reproducible from the seed and moves keep parameters", "[nn][module]") {
  Tiny a, b;
  Generator ga(7), gb(7);
  a.reset_parameters(ga);
  b.reset_parameters(gb);
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(to_vector<float>(pa[i]) == to_vector<float>(pb[i]));
  // The padding row of the embedding is zero after reset.
  CHECK(to_vector<float>(select(a.embed.weight(), 0, 0)) == std::vector<float>(4, 0.f));
  // A moved-to module still lists the same tensors (nothing points at the old object).
  Tiny moved = std::move(a);
  auto pm = moved.parameters();
  REQUIRE(pm.size() == pb.size());
  CHECK(pm[1].storage() == pa[1].storage());
}

TEST_CASE("zero_grad clears every parameter's gradient", "[nn][module]") {
  Linear lin(3, 2);
  Generator gen(1);
  lin.reset_parameters(gen);
  sum(lin(randn({4, 3}, gen))).backward();
  CHECK(lin.weight().grad().defined());
  lin.zero_grad();
  CHECK_FALSE(lin.weight().grad().defined());
  CHECK_FALSE(lin.bias().grad().defined());
}

TEST_CASE("layers reject bad configuration and input with clear errors", "[nn]") {
  REQUIRE_THROWS_WITH(Linear(0, 3), Contains("Linear: features must be positive"));
  Linear lin(3, 2);
  REQUIRE_THROWS_WITH(lin(ones({4, 5})), Contains("Linear: expected input (..., 3), got [4, 5]"));
  REQUIRE_THROWS_WITH(Embedding(10, 4, 12), Contains("padding_idx 12 is outside [0, 10)"));
  REQUIRE_THROWS_WITH(parse_enum<Activation>("swish", "--activation"), Contains("unknown activation 'swish'"));
  REQUIRE_THROWS_WITH(Dropout(1.5), Contains("Dropout: probability 1.5"));
}
