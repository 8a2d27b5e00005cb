// format_test.cpp — printing tensors: values, shape and dtype; summarisation; int and bool.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/factories.h"
#include "tensor/format.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("a small tensor prints its values, shape and dtype", "[format]") {
  const Tensor x = from_vector<float>({0, 1, 2, 3}, {2, 2});
  CHECK(to_string(x) ==
        "tensor([[0.0000, 1.0000],\n"
        "        [2.0000, 3.0000]], shape=[2, 2], dtype=float32)");
  CHECK(fmt::format("{}", x) == to_string(x));
  CHECK(to_string(from_vector<double>({-1.5})) == "tensor([-1.5000], shape=[1], dtype=float64)");
  CHECK(to_string(raw::select(from_vector<double>({2.0}), 0, 0)) == "tensor(2.0000, shape=[], dtype=float64)");
  CHECK(to_string(Tensor()) == "tensor(undefined)");
}

TEST_CASE("printing follows logical order for strided tensors", "[format]") {
  const Tensor x = from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(to_string(raw::transpose(x, 0, 1)) ==
        "tensor([[1, 4],\n"
        "        [2, 5],\n"
        "        [3, 6]], shape=[3, 2], dtype=int64)");
}

TEST_CASE("int64 prints integers and bool prints true/false", "[format]") {
  CHECK(to_string(from_vector<int64_t>({-3, 0, 12})) == "tensor([-3, 0, 12], shape=[3], dtype=int64)");
  CHECK(to_string(from_vector<bool>({true, false})) == "tensor([true, false], shape=[2], dtype=bool)");
}

TEST_CASE("tiny and huge floats switch to scientific notation", "[format]") {
  const std::string s = to_string(from_vector<double>({1e-6, 2.0}));
  CHECK_THAT(s, Contains("1.0000e-06"));
  CHECK_THAT(s, Contains("2.0000e+00"));
}

TEST_CASE("a tensor of more than 1000 elements is summarised with ...", "[format]") {
  const std::string s = to_string(arange(1001, Dtype::int64));
  CHECK(s == "tensor([0, 1, 2, ..., 998, 999, 1000], shape=[1001], dtype=int64)");

  const std::string m = to_string(raw::reshape(arange(40 * 30, Dtype::int64), {40, 30}));
  CHECK_THAT(m, Contains("[0, 1, 2, ..., 27, 28, 29],\n"));
  CHECK_THAT(
      m, Contains("[60, 61, 62, ..., 87, 88, 89],\n        ...,\n        [1110, 1111, 1112, ..., 1137, 1138, 1139],"));
  CHECK_THAT(m, Contains("[1170, 1171, 1172, ..., 1197, 1198, 1199]], shape=[40, 30], dtype=int64)"));
  CHECK(m.find(", ,") == std::string::npos);

  const std::string small = to_string(arange(1000, Dtype::int64));
  CHECK(small.find("...") == std::string::npos);
  CHECK_THAT(small, Contains("998, 999]"));
}
