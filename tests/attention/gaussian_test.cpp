// gaussian_test.cpp — the "gaussian" variant (s = -‖q - k‖²·w²/2): attention weights and
// outputs equal Nadaraya–Watson kernel regression computed from the formula with loops (D2L's
// 1-D example), for the initial width 1 and a learned one; multi-dimensional, per-head scores
// against loops.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

std::unique_ptr<AttentionVariant> make(int64_t heads, int64_t dim) { return make_variant("gaussian", heads, dim, 8); }

}  // namespace

TEST_CASE("gaussian: weights and outputs are Nadaraya–Watson kernel regression", "[attention][gaussian]") {
  // 1-D inputs: training points x_j with targets y_j are keys and values; test points are queries.
  const std::vector<double> x_train{0.1, 0.7, 1.3, 2.2, 3.0, 4.1}, y_train{0.5, 1.9, 2.4, 1.1, -0.3, 0.8};
  const std::vector<double> x_test{0.0, 1.0, 2.5, 3.9};
  const Tensor q = from_vector(x_test, Shape{1, 1, 4, 1});
  const Tensor k = from_vector(x_train, Shape{1, 1, 6, 1});
  const Tensor v = from_vector(y_train, Shape{1, 1, 6, 1});
  auto attn = make(1, 1);
  CHECK(to_vector<double>(named_parameter(*attn, "width")) == std::vector<double>{1.0});

  for (double width : {1.0, 2.5}) {
    INFO("width " << width);
    raw::fill_(named_parameter(*attn, "width"), width);
    const AttentionResult r = attn->forward(q, k, v, {}, true);
    const auto w = to_vector<double>(r.weights), out = to_vector<double>(r.out);
    for (size_t i = 0; i < x_test.size(); ++i) {
      std::vector<double> kernel;
      double total = 0;
      for (double xj : x_train) {
        const double u = x_test[i] - xj;
        kernel.push_back(std::exp(-0.5 * width * width * u * u));  // K(u) = exp(-w²u²/2)
        total += kernel.back();
      }
      double estimate = 0;
      for (size_t j = 0; j < x_train.size(); ++j) {
        CHECK(w[i * x_train.size() + j] == Approx(kernel[j] / total).margin(1e-12));
        estimate += kernel[j] / total * y_train[j];
      }
      CHECK(out[i] == Approx(estimate).margin(1e-12));  // f(x) = Σ K(x - xⱼ) yⱼ / Σ K(x - xⱼ)
    }
  }
}

TEST_CASE("gaussian: scores are -‖q - k‖²·w²/2 per head in several dimensions", "[attention][gaussian]") {
  const int64_t B = 2, H = 2, Tq = 3, Tk = 4, D = 3;
  auto attn = make(H, D);
  const std::vector<double> width{0.7, 1.6};
  raw::copy_(named_parameter(*attn, "width"), from_vector(width));
  Generator gen(51);
  const Tensor q = randn({B, H, Tq, D}, gen, Dtype::float64), k = randn({B, H, Tk, D}, gen, Dtype::float64);
  const auto s = to_vector<double>(dynamic_cast<ScoredAttention&>(*attn).scores(q, k));
  const auto qv = to_vector<double>(q), kv = to_vector<double>(k);
  size_t at = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Tq; ++i)
        for (int64_t j = 0; j < Tk; ++j) {
          double d2 = 0;
          for (int64_t a = 0; a < D; ++a) {
            const double u = qv[((b * H + h) * Tq + i) * D + a] - kv[((b * H + h) * Tk + j) * D + a];
            d2 += u * u;
          }
          CHECK(s[at++] == Approx(-d2 * width[h] * width[h] / 2).margin(1e-12));
        }
  // A query equal to a key scores (almost exactly) 0, the maximum.
  const auto self = to_vector<double>(dynamic_cast<ScoredAttention&>(*attn).scores(k, k));
  for (int64_t n = 0; n < B * H; ++n)
    for (int64_t i = 0; i < Tk; ++i) CHECK(std::fabs(self[(n * Tk + i) * Tk + i]) < 1e-12);
}
