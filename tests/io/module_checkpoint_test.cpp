// module_checkpoint_test.cpp — save_module / load_module: dotted names, in-place loading that
// keeps tensor identity, and all-or-nothing rejection of checkpoints that do not fit or hold
// non-finite values.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "io/module_checkpoint.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"
#include "test_temp_dir.h"

using namespace qkv;
using Catch::Contains;

namespace {

// A layer with two parameters and an int64 buffer.
class Leaf : public Module {
 public:
  explicit Leaf(int64_t n)
      : weight(make_parameter({n, 2})), bias(make_parameter({2})), table(zeros({3}, Dtype::int64)) {}
  void visit(ModuleVisitor& v) override {
    v.parameter("weight", weight);
    v.parameter("bias", bias);
    v.buffer("table", table);
  }
  Tensor weight, bias, table;
};

class Net : public Module {
 public:
  explicit Net(int64_t n = 3) : first(n), second(2), scale(make_parameter({}, Dtype::float64)) {}
  void visit(ModuleVisitor& v) override {
    v.module("first", first);
    v.module("second", second);
    v.parameter("scale", scale);
  }
  void fill(double base) {
    int k = 0;
    for (auto& [name, t] : named_parameters()) raw_fill(t, base + k++);
    raw_fill(first.table, base + 10);
    raw_fill(second.table, base + 20);
  }
  static void raw_fill(const Tensor& t, double v) { raw::fill_(t, v); }
  Leaf first, second;
  Tensor scale;
};

}  // namespace

TEST_CASE("save_module writes parameters then buffers under dotted names", "[io][module]") {
  test::TempDir dir;
  Net net;
  net.fill(1);
  save_module(dir.file("net.safetensors"), net, {{"layers", "2"}});
  const Checkpoint ck = load_safetensors(dir.file("net.safetensors"));
  std::vector<std::string> names;
  for (const auto& [name, t] : ck.tensors) names.push_back(name);
  CHECK(names == std::vector<std::string>{"first.weight", "first.bias", "second.weight", "second.bias", "scale",
                                          "first.table", "second.table"});
  CHECK(ck.metadata.at("layers") == "2");
  CHECK(ck.at("scale").dtype() == Dtype::float64);
  CHECK(ck.at("first.table").dtype() == Dtype::int64);
  CHECK(to_vector<int64_t>(ck.at("second.table")) == std::vector<int64_t>{21, 21, 21});
}

TEST_CASE("load_module copies values into the module's existing tensors", "[io][module]") {
  test::TempDir dir;
  Net saved;
  saved.fill(5);
  save_module(dir.file("net.safetensors"), saved, {{"d_model", "8"}});

  Net net;
  const Tensor weight_before = net.first.weight;  // e.g. what an optimizer holds
  const auto* storage_before = net.first.weight.storage().get();
  const Metadata meta = load_module(dir.file("net.safetensors"), net);
  CHECK(meta.at("d_model") == "8");
  CHECK(net.first.weight.storage().get() == storage_before);
  CHECK(to_vector<float>(weight_before) == to_vector<float>(saved.first.weight));  // seen through the old handle
  CHECK(net.first.weight.requires_grad());
  const Checkpoint ck = load_safetensors(dir.file("net.safetensors"));
  for (const auto& [name, t] : net.named_parameters()) {
    INFO(name);
    CHECK(to_vector<double>(t) == to_vector<double>(ck.at(name)));
  }
  CHECK(to_vector<int64_t>(net.second.table) == std::vector<int64_t>{25, 25, 25});
}

TEST_CASE("load_module rejects a checkpoint that does not fit, naming every problem, changing nothing",
          "[io][module]") {
  test::TempDir dir;
  const std::string path = dir.file("other.safetensors");
  Net other(4);  // first.weight is [4, 2] instead of [3, 2]
  other.fill(7);
  auto tensors = other.named_parameters();
  tensors.erase(tensors.begin() + 1);                               // drop first.bias
  tensors.emplace_back("extra.weight", zeros({1}));                 // unexpected
  tensors.emplace_back("first.table", zeros({3}, Dtype::float32));  // wrong dtype
  tensors.emplace_back("second.table", zeros({3}, Dtype::int64));
  save_safetensors(path, tensors);

  Net net;
  net.fill(1);
  const std::vector<float> before = to_vector<float>(net.second.weight);
  try {
    load_module(path, net);
    FAIL("load_module did not throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Contains(path) && Contains("nothing was loaded"));
    CHECK_THAT(msg, Contains("tensor 'first.weight': expected float32 [3, 2], found float32 [4, 2]"));
    CHECK_THAT(msg, Contains("missing tensor 'first.bias' (expected float32 [2])"));
    CHECK_THAT(msg, Contains("unexpected tensor 'extra.weight'"));
    CHECK_THAT(msg, Contains("tensor 'first.table': expected int64 [3], found float32 [3]"));
  }
  // second.weight matched and would have been copied first: it must be untouched.
  CHECK(to_vector<float>(net.second.weight) == before);
}

TEST_CASE("load_module refuses non-finite weights, naming the tensor and the first bad element, changing nothing",
          "[io][module]") {
  test::TempDir dir;
  const std::string path = dir.file("nan.safetensors");
  Net saved;
  saved.fill(3);
  raw::fill_(raw::narrow(raw::flatten(saved.second.weight), 0, 3, 1), std::nan(""));  // element 3
  raw::fill_(saved.scale, std::numeric_limits<double>::infinity());
  save_module(path, saved);

  Net net;
  net.fill(1);
  const std::vector<float> before = to_vector<float>(net.first.weight);
  try {
    load_module(path, net);
    FAIL("load_module did not throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Contains("nothing was loaded"));
    CHECK_THAT(msg, Contains("tensor 'second.weight' holds 1 non-finite value (the first, nan, at flat index 3)"));
    CHECK_THAT(msg, Contains("tensor 'scale' holds 1 non-finite value (the first, inf, at flat index 0)"));
    CHECK_THAT(msg, !Contains("first.weight"));
  }
  CHECK(to_vector<float>(net.first.weight) == before);
}

TEST_CASE("load_module passes file errors through", "[io][module]") {
  test::TempDir dir;
  Net net;
  CHECK_THROWS_WITH(load_module(dir.file("missing.safetensors"), net), Contains("missing.safetensors"));
}
