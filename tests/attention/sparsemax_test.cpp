// sparsemax_test.cpp — the "sparsemax" normaliser: known vectors worked through the paper's
// sorting algorithm, random rows against an independent reference (bisection for the threshold
// τ with Σ max(z - τ, 0) = 1), masks, the backward formula on a known case, and a gradcheck
// through attention scores (the op's own gradcheck is in tests/autograd/gradcheck_fused_table_test.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;

namespace {

std::vector<double> sparsemax_of(const std::vector<double>& z, const Tensor& allowed = {}) {
  const Tensor s = from_vector(z, Shape{1, static_cast<int64_t>(z.size())});
  return to_vector<double>(find_normaliser("sparsemax")(s, allowed));
}

// The reference: the τ with Σ max(zᵢ - τ, 0) = 1 lies in [max z - 1, max z]; bisect for it.
std::vector<double> reference_sparsemax(const std::vector<double>& z) {
  const double top = *std::max_element(z.begin(), z.end());
  double lo = top - 1, hi = top;
  for (int it = 0; it < 200; ++it) {
    const double mid = (lo + hi) / 2;
    double mass = 0;
    for (double x : z) mass += std::max(x - mid, 0.0);
    (mass > 1 ? lo : hi) = mid;
  }
  std::vector<double> p;
  for (double x : z) p.push_back(std::max(x - (lo + hi) / 2, 0.0));
  return p;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol));
  }
}

}  // namespace

TEST_CASE("sparsemax: known vectors", "[attention][sparsemax]") {
  // [1, 0.5, -1]: sorted, k = 1: 1 + 1 > 1; k = 2: 1 + 2·0.5 = 2 > 1.5; k = 3: 1 - 3 = -2 < 0.5.
  // So the support is {1, 0.5}, τ = (1.5 - 1)/2 = 0.25 and p = [0.75, 0.25, 0].
  CHECK(sparsemax_of({1, 0.5, -1}) == std::vector<double>{0.75, 0.25, 0});
  // A clear winner takes everything: [3, 1, 0.5] → k = 2 fails (1 + 2 = 3 < 4), τ = 2.
  CHECK(sparsemax_of({3, 1, 0.5}) == std::vector<double>{1, 0, 0});
  // Ties are shared, and close scores stay dense: τ = 0 for [0.1, 0.2, 0.3, 0.4].
  check_close(sparsemax_of({0, 0, 0}), {1.0 / 3, 1.0 / 3, 1.0 / 3});
  check_close(sparsemax_of({0.1, 0.2, 0.3, 0.4}), {0.1, 0.2, 0.3, 0.4});
  // Adding a constant changes nothing.
  check_close(sparsemax_of({101, 100.5, 99}), {0.75, 0.25, 0});
}

TEST_CASE("sparsemax: random rows match the bisection reference and sum to 1 with exact zeros",
          "[attention][sparsemax]") {
  Generator gen(61);
  const int64_t rows = 50, n = 9;
  const Tensor z = randn({rows, n}, gen, Dtype::float64, 0, 2);
  const auto zv = to_vector<double>(z);
  const auto p = to_vector<double>(find_normaliser("sparsemax")(z, Tensor()));
  int64_t zeros_seen = 0;
  for (int64_t r = 0; r < rows; ++r) {
    INFO("row " << r);
    const std::vector<double> row(zv.begin() + r * n, zv.begin() + (r + 1) * n);
    const std::vector<double> got(p.begin() + r * n, p.begin() + (r + 1) * n);
    check_close(got, reference_sparsemax(row), 1e-12);
    double total = 0;
    for (double x : got) {
      CHECK(x >= 0);
      total += x;
      zeros_seen += x == 0.0;
    }
    CHECK(total == Approx(1).margin(1e-12));
  }
  CHECK(zeros_seen > rows);  // sparse: on average more than one exact zero per row

  // float32 gives the same answer to float32 precision.
  const auto p32 = to_vector<double>(find_normaliser("sparsemax")(raw::to_dtype(z, Dtype::float32), Tensor()));
  for (size_t i = 0; i < p.size(); ++i) CHECK(p32[i] == Approx(p[i]).margin(1e-5));
}

TEST_CASE("sparsemax: masked keys are left out and a fully masked row is zeros with zero gradient",
          "[attention][sparsemax]") {
  // Row 0 masks its top key, so sparsemax([0.5, -1]) = [1, 0] fills the rest; row 1 masks all.
  const Tensor allowed = from_vector(std::vector<bool>{false, true, true, false, false, false}, Shape{2, 3});
  Tensor z = from_vector(std::vector<double>{1, 0.5, -1, 1, 0.5, -1}, Shape{2, 3}).requires_grad_();
  const Tensor p = find_normaliser("sparsemax")(z, allowed);
  CHECK(to_vector<double>(p) == std::vector<double>{0, 1, 0, 0, 0, 0});
  sum(p * from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, Shape{2, 3})).backward();
  CHECK(to_vector<double>(z.grad()) == std::vector<double>{0, 0, 0, 0, 0, 0});

  // -inf scores count as masked; a broadcast (Tk) mask works too.
  CHECK(sparsemax_of({-INFINITY, 0.5, -1}) == std::vector<double>{0, 1, 0});
  CHECK(sparsemax_of({1, 0.5, -1}, from_vector(std::vector<bool>{true, true, false})) ==
        std::vector<double>{0.75, 0.25, 0});
  CHECK(sparsemax_of({-INFINITY, -INFINITY}) == std::vector<double>{0, 0});
}

TEST_CASE("sparsemax: backward is dy minus its mean over the support and zero off it", "[attention][sparsemax]") {
  Tensor z = from_vector(std::vector<double>{1, 0.5, -1}, Shape{1, 3}).requires_grad_();
  const Tensor p = find_normaliser("sparsemax")(z, Tensor());
  p.backward(from_vector(std::vector<double>{1, 2, 3}, Shape{1, 3}));
  // Support {0, 1}: mean of dy there is 1.5, so dz = [1 - 1.5, 2 - 1.5, 0].
  CHECK(to_vector<double>(z.grad()) == std::vector<double>{-0.5, 0.5, 0});
}

// The op's own gradcheck, with and without a mask, is in tests/autograd/gradcheck_fused_table_test.cpp.
TEST_CASE("sparsemax: gradcheck through scaled dot-product attention scores", "[attention][sparsemax]") {
  Generator gen(62);
  AttentionConfig config;
  config.num_heads = 2;
  config.head_dim = 3;
  config.dtype = Dtype::float64;
  auto attn = make_attention("scaled_dot+sparsemax", config);
  attn->eval();
  const Tensor q = randn({1, 2, 4, 3}, gen, Dtype::float64, 0, 2).requires_grad_();
  const Tensor k = randn({1, 2, 4, 3}, gen, Dtype::float64, 0, 2).requires_grad_();
  const Tensor v = randn({1, 2, 4, 3}, gen, Dtype::float64).requires_grad_();
  const Tensor w = attn->forward(q.detach(), k.detach(), v.detach(), {}, true).weights;
  int64_t zeros_seen = 0;
  for (double x : to_vector<double>(w)) zeros_seen += x == 0.0;
  CHECK(zeros_seen > 0);
  REQUIRE_NOTHROW(gradcheck(
      "scaled_dot+sparsemax",
      [&](const std::vector<Tensor>& in) { return attn->forward(in[0], in[1], in[2], {}, false).out; }, {q, k, v}));
}

TEST_CASE("sparsemax: a NaN score gives NaN weights in its row only", "[attention][sparsemax]") {
  const Tensor z = from_vector(std::vector<double>{1, NAN, -1, 1, 0.5, -1}, Shape{2, 3});
  const auto p = to_vector<double>(find_normaliser("sparsemax")(z, Tensor()));
  for (int i = 0; i < 3; ++i) CHECK(std::isnan(p[i]));
  CHECK(std::vector<double>(p.begin() + 3, p.end()) == std::vector<double>{0.75, 0.25, 0});
}

TEST_CASE("sparsemax and entmax15 name themselves and the bad input in their errors", "[attention][sparsemax]") {
  const Tensor z = from_vector(std::vector<double>{1, 2, 3}, Shape{3});
  for (const std::string name : {"sparsemax", "entmax15"}) {
    const Normaliser normalise = find_normaliser(name);
    REQUIRE_THROWS_WITH(normalise(from_vector(std::vector<double>{1}, Shape{}), Tensor()),
                        Catch::Contains(name + ": expected scores with at least one dimension"));
    REQUIRE_THROWS_WITH(normalise(raw::ge(z, z), Tensor()),
                        Catch::Contains(name + ": scores must be float32 or float64"));
    REQUIRE_THROWS_WITH(normalise(z, z), Catch::Contains(name + ": the mask must be bool, got float64"));
  }
}
