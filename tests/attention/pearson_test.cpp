// pearson_test.cpp — the "pearson" variant (s = corr(q, k)·exp(log_scale), learnable per head):
// scores are the textbook Pearson correlation (computed here by hand) times √Dh at
// initialisation; adding a constant to q or k changes nothing, nor does a positive scale; a
// constant vector scores 0 and stays finite, so Dh = 1 gives uniform weights.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

std::unique_ptr<AttentionVariant> make(int64_t heads, int64_t dim) { return make_variant("pearson", heads, dim, 7); }

std::vector<double> scores(AttentionVariant& attn, const Tensor& q, const Tensor& k) {
  return to_vector<double>(dynamic_cast<ScoredAttention&>(attn).scores(q, k));
}

// Σ(x - x̄)(y - ȳ) / √(Σ(x - x̄)² Σ(y - ȳ)²), the textbook formula.
double correlation(const double* x, const double* y, int64_t n) {
  double mx = 0, my = 0;
  for (int64_t i = 0; i < n; ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (int64_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

TEST_CASE("pearson: scores are √Dh times the Pearson correlation at initialisation", "[attention][pearson]") {
  const int64_t H = 2, Tq = 3, Tk = 4, D = 5;
  auto attn = make(H, D);
  Generator gen(43);
  const Tensor q = randn({1, H, Tq, D}, gen, Dtype::float64), k = randn({1, H, Tk, D}, gen, Dtype::float64);
  const auto s = scores(*attn, q, k);
  const auto qs = to_vector<double>(q), ks = to_vector<double>(k);
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t i = 0; i < Tq; ++i) {
      for (int64_t j = 0; j < Tk; ++j) {
        const double want = std::sqrt(5.0) * correlation(&qs[(h * Tq + i) * D], &ks[(h * Tk + j) * D], D);
        CHECK(s[(h * Tq + i) * Tk + j] == Approx(want).margin(1e-12));
      }
    }
  }
}

TEST_CASE("pearson: adding a constant to q or k or scaling them leaves the scores unchanged", "[attention][pearson]") {
  auto attn = make(2, 4);
  Generator gen(47);
  const Tensor q = randn({2, 2, 3, 4}, gen, Dtype::float64), k = randn({2, 2, 5, 4}, gen, Dtype::float64);
  const auto base = scores(*attn, q, k);
  const auto shifted = scores(*attn, q + 3.25, k - 11.0);
  const auto scaled = scores(*attn, q * 4.0 + 1.0, k * 0.02);
  for (size_t i = 0; i < base.size(); ++i) {
    CHECK(shifted[i] == Approx(base[i]).margin(1e-12));
    CHECK(scaled[i] == Approx(base[i]).margin(1e-12));
    CHECK(std::fabs(base[i]) <= 2.0 + 1e-12);  // |corr| ≤ 1, scale √4 = 2
  }
  // Cosine, by contrast, does see a shift: the two variants differ.
  auto cosine = make_variant("cosine", 2, 4, 7);
  CHECK(max_diff(dynamic_cast<ScoredAttention&>(*cosine).scores(q + 3.25, k),
                 dynamic_cast<ScoredAttention&>(*cosine).scores(q, k)) > 0.1);
}

TEST_CASE("pearson: a constant vector scores 0 with finite gradients and Dh = 1 gives uniform weights",
          "[attention][pearson]") {
  auto attn = make(1, 3);
  const Tensor q = from_vector(std::vector<double>{2, 2, 2, 1, 2, 4}, Shape{1, 1, 2, 3}).requires_grad_();
  const Tensor k = from_vector(std::vector<double>{1, 0, -1, 5, 5, 5}, Shape{1, 1, 2, 3}).requires_grad_();
  const Tensor s = dynamic_cast<ScoredAttention&>(*attn).scores(q, k);
  const auto values = to_vector<double>(s);
  CHECK(values[0] == 0.0);  // constant query
  CHECK(values[1] == 0.0);
  CHECK(values[3] == 0.0);                                                   // constant key
  CHECK(values[2] == Approx(std::sqrt(3.0) * -0.98198050606).margin(1e-9));  // corr((1,2,4), (1,0,-1))
  sum(s).backward();
  CHECK(all_finite(q.grad()));
  CHECK(all_finite(k.grad()));
  auto one_dim = make(1, 1);
  const Tensor w = one_dim
                       ->forward(from_vector(std::vector<double>{3, -1}, Shape{1, 1, 2, 1}),
                                 from_vector(std::vector<double>{1, 2, 5, -4}, Shape{1, 1, 4, 1}),
                                 from_vector(std::vector<double>{1, 2, 3, 4}, Shape{1, 1, 4, 1}), {}, true)
                       .weights;
  CHECK(to_vector<double>(w) == std::vector<double>(8, 0.25));
}
