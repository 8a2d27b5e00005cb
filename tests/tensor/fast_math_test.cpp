// fast_math_test.cpp — the vectorisable float32 exp and tanh (tensor/fast_exp.h,
// tensor/fast_tanh.h) against the correctly rounded values (std::exp and std::tanh in double,
// rounded to float), in ulp, over evenly spaced float bit patterns, plus their special values;
// and the float32 tanh and sigmoid ops built on them against their float64 versions.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/fast_exp.h"
#include "tensor/fast_tanh.h"

using qkv::fast_exp;
using qkv::fast_tanh;

namespace {

// Floats in order as integers: adjacent floats differ by 1, -0 and +0 are the same point.
int64_t ordered(float f) {
  const auto bits = static_cast<int64_t>(std::bit_cast<int32_t>(f));
  return bits < 0 ? int64_t{std::numeric_limits<int32_t>::min()} - bits : bits;
}

int64_t ulp_distance(float a, float b) { return std::abs(ordered(a) - ordered(b)); }

// The largest ulp distance of f from reference over floats in [lo, hi], stepping `stride` bit
// patterns at a time (so about (count of floats in range) / stride points).
template <class F, class R>
int64_t worst_ulp(F f, R reference, float lo, float hi, int64_t stride, float* worst_at) {
  int64_t worst = 0;
  for (int64_t k = ordered(lo); k <= ordered(hi); k += stride) {
    const int32_t bits = k < 0 ? static_cast<int32_t>(int64_t{std::numeric_limits<int32_t>::min()} - k)
                               : static_cast<int32_t>(k);
    const float x = std::bit_cast<float>(bits);
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
  const int64_t worst = worst_ulp(fast_exp, [](double x) { return std::exp(x); }, -87.3f, 88.7f, 101, &at);
  INFO("worst at x = " << at);
  CHECK(worst <= 2);
  CHECK(fast_exp(0.0f) == 1.0f);
  CHECK(fast_exp(-100.0f) == 0.0f);
  CHECK(fast_exp(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(std::isinf(fast_exp(89.0f)));
  CHECK(std::isinf(fast_exp(std::numeric_limits<float>::infinity())));
  CHECK(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("fast_tanh is within 4 ulp of tanh, odd, and exact at its special values") {
  float at = 0;
  const int64_t worst = worst_ulp(fast_tanh, [](double x) { return std::tanh(x); }, -20.0f, 20.0f, 37, &at);
  INFO("worst at x = " << at);
  CHECK(worst <= 4);
  // Around the switch from the polynomial to the exp form, every float.
  const int64_t near_switch = worst_ulp(fast_tanh, [](double x) { return std::tanh(x); }, 0.29f, 0.31f, 1, &at);
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
