// lane_sum_test.cpp — the lane reductions of tensor/lane_sum.h against plain left-to-right loops:
// lane_max at every position of the maximum, across the 16-lane body and the tail, with
// negative values, -inf and NaN; lane_sum and lane_dot against long double sums.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/lane_sum.h"

using namespace qkv;

namespace {

template <class T>
T serial_max(const std::vector<T>& x) {
  T best = -std::numeric_limits<T>::infinity();
  for (T v : x) best = v > best ? v : best;
  return best;
}

}  // namespace

TEST_CASE("lane_max equals the left-to-right max wherever the maximum sits", "[tensor]") {
  for (int64_t n : {0, 1, 15, 16, 17, 33, 1000}) {
    for (int64_t at = 0; at < n; ++at) {
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = -100.0f + static_cast<float>((i * 37) % 50);
      x[static_cast<size_t>(at)] = 7.5f;
      INFO("n " << n << ", maximum at " << at);
      REQUIRE(lane_max(n, x.data()) == 7.5f);
    }
  }
  CHECK(lane_max<float>(0, nullptr) == -std::numeric_limits<float>::infinity());
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> all_masked(40, -inf);
  CHECK(lane_max(40, all_masked.data()) == -inf);
  std::vector<double> with_nan(40, -3.0);
  with_nan[5] = std::nan("");
  with_nan[21] = std::nan("");
  with_nan[30] = -1.0;
  CHECK(lane_max(40, with_nan.data()) == serial_max(with_nan));  // NaNs passed over: -1
  CHECK(lane_max(40, with_nan.data()) == -1.0);
}

TEST_CASE("lane_sum equals a long double sum to double rounding", "[tensor]") {
  for (int64_t n : {0, 1, 7, 8, 9, 1001}) {
    std::vector<float> x(static_cast<size_t>(n));
    long double reference = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(i)] = std::sin(static_cast<float>(i)) * 1000.0f;
      reference += x[static_cast<size_t>(i)];
    }
    INFO("n " << n);
    CHECK(lane_sum(n, [&](int64_t i) { return x[static_cast<size_t>(i)]; }) ==
          Approx(static_cast<double>(reference)).epsilon(1e-14).margin(1e-9));
  }
}

TEMPLATE_TEST_CASE("lane_dot equals a long double dot product within its rounding bound", "[tensor]", float, double) {
  // Around the vector width (16 floats, 8 doubles) and well past it, so the tail and the lanes
  // both carry terms.
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 33, 1000}) {
    std::vector<TestType> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
    long double reference = 0, magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(i)] = static_cast<TestType>(std::sin(static_cast<double>(i)));
      y[static_cast<size_t>(i)] = static_cast<TestType>(std::cos(static_cast<double>(3 * i)) * 10);
      reference += static_cast<long double>(x[static_cast<size_t>(i)]) * y[static_cast<size_t>(i)];
      magnitude += std::fabs(static_cast<long double>(x[static_cast<size_t>(i)]) * y[static_cast<size_t>(i)]);
    }
    INFO("n " << n);
    // Each term passes through at most n / lanes + lanes + 1 roundings (its lane, the lanes'
    // sum, the tail), each off by at most eps relative.
    const int64_t lanes = 64 / static_cast<int64_t>(sizeof(TestType));
    const double eps = std::numeric_limits<TestType>::epsilon();
    const double bound = static_cast<double>(n / lanes + lanes + 1) * eps * static_cast<double>(magnitude);
    CHECK(std::fabs(static_cast<double>(lane_dot(n, x.data(), y.data()) - reference)) <= bound);
  }
}
