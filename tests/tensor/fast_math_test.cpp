// fast_math_test.cpp — the vectorisable float32 exp and tanh (tensor/fast_exp.h,
// tensor/fast_tanh.h) against the correctly rounded values (std::exp and std::tanh in double,
// rounded to float), in ulp, over evenly spaced float bit patterns, plus their special values
// and every float at the ends of exp's range; the 16-lane fast_exp_lanes against fast_exp lane
// by lane; and the float32 tanh and sigmoid ops built on them against their float64 versions.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/fast_exp.h"
#include "tensor/fast_tanh.h"

using qkv::fast_exp;
using qkv::fast_exp_lanes;
using qkv::fast_tanh;
using qkv::FloatLanes;

namespace {

// Floats in order as integers: adjacent floats differ by 1, -0 and +0 are the same point.
int64_t ordered(float f) {
  const auto bits = static_cast<int64_t>(std::bit_cast<int32_t>(f));
  return bits < 0 ? int64_t{std::numeric_limits<int32_t>::min()} - bits : bits;
}

// The float at position k of that order (the inverse of ordered).
float from_ordered(int64_t k) {
  return std::bit_cast<float>(k < 0 ? static_cast<int32_t>(int64_t{std::numeric_limits<int32_t>::min()} - k)
                                    : static_cast<int32_t>(k));
}

int64_t ulp_distance(float a, float b) { return std::abs(ordered(a) - ordered(b)); }

// The largest ulp distance of f from reference over floats in [lo, hi], stepping `stride` bit
// patterns at a time (so about (count of floats in range) / stride points).
template <class F, class R>
int64_t worst_ulp(F f, R reference, float lo, float hi, int64_t stride, float* worst_at) {
  int64_t worst = 0;
  for (int64_t k = ordered(lo); k <= ordered(hi); k += stride) {
    const float x = from_ordered(k);
    const int64_t d = ulp_distance(f(x), static_cast<float>(reference(static_cast<double>(x))));
    if (d > worst) {
      worst = d;
      *worst_at = x;
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("fast_exp is within 2 ulp of exp over the normal range, and exact at its edges") {
  float at = 0;
  const int64_t worst = worst_ulp(
      fast_exp, [](double x) { return std::exp(x); }, -87.3f, 88.7f, 101, &at);
  INFO("worst at x = " << at);
  CHECK(worst <= 2);
  CHECK(fast_exp(0.0f) == 1.0f);
  CHECK(fast_exp(-100.0f) == 0.0f);
  CHECK(fast_exp(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(std::isinf(fast_exp(89.0f)));
  CHECK(std::isinf(fast_exp(std::numeric_limits<float>::infinity())));
  CHECK(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("fast_exp at the ends of its range: normal results down to -126·ln 2, 0 below, +inf above") {
  const float lo = qkv::fast_exp_detail::kMin, hi = qkv::fast_exp_detail::kMax;
  CHECK(lo >= -126 * std::log(2.0));
  CHECK(std::nextafter(lo, -1000.0f) < -126 * std::log(2.0));
  CHECK(hi <= std::log(static_cast<double>(std::numeric_limits<float>::max())));
  // Every float from a little below kMin to a little above kMax's neighbourhood: within 2 ulp
  // inside the range (and a normal float, never a subnormal), exactly 0 below, +inf above.
  for (auto [from, to] : {std::pair<float, float>{-87.5f, -87.2f}, {88.5f, 88.8f}}) {
    for (int64_t k = ordered(from); k <= ordered(to); ++k) {
      const float x = from_ordered(k);
      const float y = fast_exp(x);
      INFO("x = " << x << ", fast_exp(x) = " << y);
      if (x < lo) {
        REQUIRE(y == 0.0f);
      } else if (x > hi) {
        REQUIRE(std::isinf(y));
      } else {
        REQUIRE(std::isnormal(y));
        REQUIRE(ulp_distance(y, static_cast<float>(std::exp(static_cast<double>(x)))) <= 2);
      }
    }
  }
}

TEST_CASE("fast_exp_lanes gives every lane exactly fast_exp of that lane") {
  const float inf = std::numeric_limits<float>::infinity();
  const float lo = qkv::fast_exp_detail::kMin, hi = qkv::fast_exp_detail::kMax;
  // Special values and the range's ends first, then floats spread over [-150, 150].
  std::vector<float> xs = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN()};
  for (float x : {lo, hi, std::nextafter(lo, -inf), std::nextafter(hi, inf), -87.0f, -1e-30f, 1e-30f, 100.0f}) {
    xs.push_back(x);
  }
  for (int64_t k = ordered(-150.0f); k <= ordered(150.0f); k += 9973) xs.push_back(from_ordered(k));
  while (xs.size() % 16 != 0) xs.push_back(1.0f);
  for (size_t i = 0; i < xs.size(); i += 16) {
    FloatLanes v;
    for (int lane = 0; lane < 16; ++lane) v[lane] = xs[i + static_cast<size_t>(lane)];
    const FloatLanes e = fast_exp_lanes(v);
    for (int lane = 0; lane < 16; ++lane) {
      const float x = v[lane], want = fast_exp(x);
      INFO("x = " << x);
      if (std::isnan(want)) {
        CHECK(std::isnan(e[lane]));
      } else {
        CHECK(std::bit_cast<uint32_t>(e[lane]) == std::bit_cast<uint32_t>(want));
      }
    }
  }
}

TEST_CASE("fast_tanh is within 4 ulp of tanh, odd, and exact at its special values") {
  float at = 0;
  const int64_t worst = worst_ulp(
      fast_tanh, [](double x) { return std::tanh(x); }, -20.0f, 20.0f, 37, &at);
  INFO("worst at x = " << at);
  CHECK(worst <= 4);
  // Around the switch from the polynomial to the exp form, every float.
  const int64_t near_switch = worst_ulp(
      fast_tanh, [](double x) { return std::tanh(x); }, 0.29f, 0.31f, 1, &at);
  INFO("near 0.3, worst at x = " << at);
  CHECK(near_switch <= 4);
  for (float x : {1e-30f, 1e-3f, 0.2999f, 0.3f, 0.7f, 3.0f, 8.0f}) CHECK(fast_tanh(-x) == -fast_tanh(x));
  CHECK(fast_tanh(1e-30f) == 1e-30f);
  CHECK(std::signbit(fast_tanh(-0.0f)));
  CHECK(fast_tanh(0.0f) == 0.0f);
  CHECK(fast_tanh(10.0f) == 1.0f);
  CHECK(fast_tanh(-std::numeric_limits<float>::infinity()) == -1.0f);
  CHECK(fast_tanh(std::numeric_limits<float>::infinity()) == 1.0f);
  CHECK(std::isnan(fast_tanh(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("the float32 tanh and sigmoid ops stay within 4 ulp of their float64 versions") {
  std::vector<double> values;
  for (int i = -60000; i <= 60000; ++i) values.push_back(i * 0.0005);  // [-30, 30]
  const qkv::Tensor x64 = qkv::from_vector(values);
  const qkv::Tensor x32 = qkv::raw::to_dtype(x64, qkv::Dtype::float32);
  const qkv::Tensor x32_as64 = qkv::raw::to_dtype(x32, qkv::Dtype::float64);  // the same inputs, exactly
  for (const char* op : {"tanh", "sigmoid"}) {
    INFO(op);
    const bool is_tanh = std::string(op) == "tanh";
    const qkv::Tensor y32 = is_tanh ? qkv::raw::tanh(x32) : qkv::raw::sigmoid(x32);
    const qkv::Tensor y64 = is_tanh ? qkv::raw::tanh(x32_as64) : qkv::raw::sigmoid(x32_as64);
    const std::vector<float> got = qkv::to_vector<float>(y32);
    const std::vector<double> want = qkv::to_vector<double>(y64);
    int64_t worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, ulp_distance(got[i], static_cast<float>(want[i])));
    CHECK(worst <= 4);
  }
}
