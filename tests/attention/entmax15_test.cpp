// entmax15_test.cpp — the "entmax15" normaliser (1.5-entmax, p = max(z/2 - τ, 0)², Σp = 1):
// known vectors, random rows against an independent reference (bisection for τ), sparsity
// between softmax and sparsemax, masks (the gradcheck is in tests/autograd/gradcheck_fused_table_test.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;

namespace {

std::vector<double> entmax_of(const std::vector<double>& z, const Tensor& allowed = {}) {
  const Tensor s = from_vector(z, Shape{1, static_cast<int64_t>(z.size())});
  return to_vector<double>(find_normaliser("entmax15")(s, allowed));
}

// The reference: τ with Σ max(zᵢ/2 - τ, 0)² = 1 lies in [max z/2 - 1, max z/2]; bisect for it.
std::vector<double> reference_entmax15(const std::vector<double>& z) {
  const double top = *std::max_element(z.begin(), z.end()) / 2;
  double lo = top - 1, hi = top;
  for (int it = 0; it < 200; ++it) {
    const double mid = (lo + hi) / 2;
    double mass = 0;
    for (double x : z) mass += std::pow(std::max(x / 2 - mid, 0.0), 2);
    (mass > 1 ? lo : hi) = mid;
  }
  std::vector<double> p;
  for (double x : z) p.push_back(std::pow(std::max(x / 2 - (lo + hi) / 2, 0.0), 2));
  return p;
}

}  // namespace

TEST_CASE("entmax15: known vectors", "[attention][entmax15]") {
  const auto uniform = entmax_of({0, 0, 0, 0});
  for (double x : uniform) CHECK(x == Approx(0.25).margin(1e-15));
  // [4, 0]: u = z/2 = [2, 0]; τ = 1 puts all mass on the first key ((2 - 1)² = 1).
  CHECK(entmax_of({4, 0}) == std::vector<double>{1, 0});
  // [1, 0]: both in the support: (0.5 - τ)² + (0 - τ)² = 1 gives τ = (0.5 - √1.75)/2.
  const double tau = (0.5 - std::sqrt(1.75)) / 2;
  const auto p = entmax_of({1, 0});
  CHECK(p[0] == Approx((0.5 - tau) * (0.5 - tau)).margin(1e-15));
  CHECK(p[1] == Approx(tau * tau).margin(1e-15));
}

TEST_CASE("entmax15: random rows match the reference and are sparser than softmax but denser than sparsemax",
          "[attention][entmax15]") {
  Generator gen(71);
  const int64_t rows = 40, n = 8;
  const Tensor z = randn({rows, n}, gen, Dtype::float64, 0, 3);
  const auto zv = to_vector<double>(z);
  const auto p = to_vector<double>(find_normaliser("entmax15")(z, Tensor()));
  const auto sp = to_vector<double>(find_normaliser("sparsemax")(z, Tensor()));
  int64_t entmax_zeros = 0, sparsemax_zeros = 0;
  for (int64_t r = 0; r < rows; ++r) {
    INFO("row " << r);
    const std::vector<double> row(zv.begin() + r * n, zv.begin() + (r + 1) * n);
    const auto want = reference_entmax15(row);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      CHECK(p[r * n + i] == Approx(want[i]).margin(1e-12));
      total += p[r * n + i];
      entmax_zeros += p[r * n + i] == 0.0;
      sparsemax_zeros += sp[r * n + i] == 0.0;
      if (sp[r * n + i] > 0) CHECK(p[r * n + i] > 0);  // entmax's support contains sparsemax's
    }
    CHECK(total == Approx(1).margin(1e-12));
  }
  CHECK(entmax_zeros > 0);
  CHECK(entmax_zeros < sparsemax_zeros);
}

// (The op's gradcheck, with and without a mask, is in tests/autograd/gradcheck_fused_table_test.cpp.)
TEST_CASE("entmax15: masks and fully masked rows", "[attention][entmax15]") {
  const Normaliser entmax = find_normaliser("entmax15");
  const Tensor allowed = from_vector(std::vector<bool>{false, true, true, false, false, false}, Shape{2, 3});
  Tensor z = from_vector(std::vector<double>{1, 0.5, -1, 1, 0.5, -1}, Shape{2, 3}).requires_grad_();
  const Tensor p = entmax(z, allowed);
  const auto pv = to_vector<double>(p);
  const auto unmasked = entmax_of({0.5, -1});
  CHECK(pv[0] == 0);
  CHECK(pv[1] == Approx(unmasked[0]).margin(1e-15));
  CHECK(pv[2] == Approx(unmasked[1]).margin(1e-15));
  CHECK(std::vector<double>(pv.begin() + 3, pv.end()) == std::vector<double>{0, 0, 0});
  sum(p * p).backward();
  const auto g = to_vector<double>(z.grad());
  CHECK(g[0] == 0);
  CHECK(std::vector<double>(g.begin() + 3, g.end()) == std::vector<double>{0, 0, 0});
}
