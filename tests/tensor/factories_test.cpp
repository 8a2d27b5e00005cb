// factories_test.cpp — zeros, ones, full, scalar, arange, from_vector and to_vector.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "tensor/factories.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("zeros, ones and full fill every dtype", "[factories]") {
  for (Dtype d : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::bool_}) {
    INFO("dtype " << dtype_name(d));
    const Tensor z = zeros({2, 3}, d);
    CHECK(z.dtype() == d);
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.is_contiguous());
    CHECK(to_vector<double>(z) == std::vector<double>(6, 0.0));
    CHECK(to_vector<double>(ones({4}, d)) == std::vector<double>(4, 1.0));
  }
  CHECK(to_vector<double>(full({2, 2}, 2.5)) == std::vector<double>(4, 2.5));
  CHECK(to_vector<int64_t>(full({3}, 7, Dtype::int64)) == std::vector<int64_t>{7, 7, 7});
  CHECK(zeros({2, 3}).dtype() == Dtype::float32);
  CHECK(zeros({0, 3}).numel() == 0);
}

TEST_CASE("the _like factories and scalar", "[factories]") {
  const Tensor x = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor t = raw::transpose(x, 0, 1);
  CHECK(zeros_like(t).shape() == Shape{3, 2});
  CHECK(zeros_like(t).dtype() == Dtype::float64);
  CHECK(to_vector<double>(ones_like(x)) == std::vector<double>(6, 1.0));
  CHECK(to_vector<double>(full_like(x, -1)) == std::vector<double>(6, -1.0));
  const Tensor s = scalar(3.5, Dtype::float64);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 3.5);
}

TEST_CASE("arange counts like torch.arange", "[factories]") {
  CHECK(to_vector<double>(arange(5)) == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(5).dtype() == Dtype::float32);
  CHECK(to_vector<int64_t>(arange(4, Dtype::int64)) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(to_vector<double>(arange(1, 2, 0.25, Dtype::float64)) == std::vector<double>{1, 1.25, 1.5, 1.75});
  CHECK(to_vector<double>(arange(3, 0, -1, Dtype::float64)) == std::vector<double>{3, 2, 1});
  CHECK(arange(0, 1, 0.1, Dtype::float64).numel() == 10);
  CHECK(arange(2, 2).numel() == 0);
  CHECK(arange(5, 2).numel() == 0);
  REQUIRE_THROWS_WITH(arange(0, 1, 0), Contains("arange: step must be nonzero"));
  REQUIRE_THROWS_WITH(arange(3, Dtype::bool_), Contains("arange: needs a numeric tensor"));
}

TEST_CASE("from_vector and to_vector round-trip and convert", "[factories]") {
  const Tensor f = from_vector<float>({1.5f, -2.0f, 3.25f, 0.0f}, {2, 2});
  CHECK(f.dtype() == Dtype::float32);
  CHECK(f.shape() == Shape{2, 2});
  CHECK(to_vector<float>(f) == std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f});
  CHECK(to_vector<int64_t>(f) == std::vector<int64_t>{1, -2, 3, 0});  // truncating conversion

  const Tensor i = from_vector<int64_t>({1, 2, 3});
  CHECK(i.dtype() == Dtype::int64);
  CHECK(i.shape() == Shape{3});
  CHECK(to_vector<double>(i) == std::vector<double>{1, 2, 3});

  const Tensor b = from_vector<bool>({true, false, true});
  CHECK(b.dtype() == Dtype::bool_);
  CHECK(to_vector<int64_t>(b) == std::vector<int64_t>{1, 0, 1});

  // to_vector reads in logical (row-major) order whatever the strides.
  const Tensor m = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(to_vector<double>(raw::transpose(m, 0, 1)) == std::vector<double>{1, 4, 2, 5, 3, 6});
  CHECK(to_vector<double>(raw::expand(raw::select(m, 1, 2), {2, 2})) == std::vector<double>{3, 6, 3, 6});
  CHECK(to_vector<double>(raw::select(m, 0, 1)) == std::vector<double>{4, 5, 6});

  REQUIRE_THROWS_WITH(from_vector<double>({1, 2, 3}, {2, 2}),
                      Contains("from_vector: 3 values do not fill shape [2, 2] (4 elements)"));
  REQUIRE_THROWS_WITH(to_vector<double>(Tensor()), Contains("to_vector: the tensor is undefined"));
}
