// cosine_test.cpp — the "cosine" variant (s = cos(q, k)·exp(log_scale), learnable per head):
// cosines of known vectors, invariance to the vectors' lengths, the initial scale √Dh and the
// "scale" option, and a zero vector staying finite.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

std::unique_ptr<AttentionVariant> make(int64_t heads, int64_t dim, std::map<std::string, double> options = {}) {
  return make_variant("cosine", heads, dim, 7, std::move(options));
}

std::vector<double> scores(AttentionVariant& attn, const Tensor& q, const Tensor& k) {
  return to_vector<double>(dynamic_cast<ScoredAttention&>(attn).scores(q, k));
}

}  // namespace

TEST_CASE("cosine: scores of known vectors are √Dh·cos at initialisation", "[attention][cosine]") {
  auto attn = make(1, 3);
  const auto log_scale = to_vector<double>(named_parameter(*attn, "log_scale"));
  REQUIRE(log_scale.size() == 1);
  CHECK(std::exp(log_scale[0]) == Approx(std::sqrt(3.0)).epsilon(1e-14));

  const Tensor q = from_vector(std::vector<double>{1, 0, 0, 0, 3, 4}, Shape{1, 1, 2, 3});
  const Tensor k = from_vector(std::vector<double>{1, 0, 0, 0, 1, 0, 1, 1, 0, -2, 0, 0}, Shape{1, 1, 4, 3});
  const auto s = scores(*attn, q, k);
  const double r = std::sqrt(3.0), h = 1 / std::sqrt(2.0);
  // q0 = e1: cos with e1, e2, (1,1,0), (-2,0,0) = 1, 0, 1/√2, -1
  // q1 = (0,3,4): cos = 0, 3/5, (3/5)/√2, 0
  const std::vector<double> expected{r, 0, r * h, -r, 0, r * 0.6, r * 0.6 * h, 0};
  for (size_t i = 0; i < s.size(); ++i) CHECK(s[i] == Approx(expected[i]).margin(1e-12));
}

TEST_CASE("cosine: scores ignore the lengths of q and k", "[attention][cosine]") {
  auto attn = make(2, 4);
  Generator gen(41);
  const Tensor q = randn({2, 2, 3, 4}, gen, Dtype::float64), k = randn({2, 2, 5, 4}, gen, Dtype::float64);
  const auto base = scores(*attn, q, k);
  const auto scaled = scores(*attn, q * 7.5, k * 0.01);
  for (size_t i = 0; i < base.size(); ++i) {
    CHECK(scaled[i] == Approx(base[i]).margin(1e-12));
    CHECK(std::fabs(base[i]) <= 2.0 + 1e-12);  // |cos| ≤ 1, scale √4 = 2
  }
}

TEST_CASE("cosine: option scale sets 1/τ at initialisation per head and is learnable", "[attention][cosine]") {
  auto attn = make(2, 3, {{"scale", 10}});
  const Tensor log_scale = named_parameter(*attn, "log_scale");
  REQUIRE(log_scale.shape() == Shape{2});
  REQUIRE(log_scale.requires_grad());
  raw::copy_(log_scale, from_vector(std::vector<double>{std::log(10.0), std::log(2.0)}));
  const Tensor q = from_vector(std::vector<double>{1, 2, 2, 1, 2, 2}, Shape{1, 2, 1, 3});
  const Tensor k = from_vector(std::vector<double>{2, 1, 2, 2, 1, 2}, Shape{1, 2, 1, 3});
  const auto s = scores(*attn, q, k);  // cos = (2 + 2 + 4)/9 = 8/9 in both heads
  CHECK(s[0] == Approx(10 * 8.0 / 9).margin(1e-12));
  CHECK(s[1] == Approx(2 * 8.0 / 9).margin(1e-12));
  REQUIRE_THROWS_WITH(make(1, 3, {{"scale", 0}}), Catch::Contains("option 'scale' must be positive"));
}

TEST_CASE("cosine: a zero query or key gives score 0 and finite gradients", "[attention][cosine]") {
  auto attn = make(1, 3);
  Tensor q = from_vector(std::vector<double>{0, 0, 0, 1, -1, 2}, Shape{1, 1, 2, 3}).requires_grad_();
  Tensor k = from_vector(std::vector<double>{0, 0, 0, 0.5, 1, -1, 2, 0, 1}, Shape{1, 1, 3, 3}).requires_grad_();
  Tensor v = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape{1, 1, 3, 3}).requires_grad_();
  const auto s = scores(*attn, q.detach(), k.detach());
  for (int j = 0; j < 3; ++j) CHECK(s[j] == 0.0);  // the zero query
  CHECK(s[3] == 0.0);                              // the second query against the zero key
  const AttentionResult r = attn->forward(q, k, v, {}, true);
  const auto w = to_vector<double>(r.weights);
  for (int j = 0; j < 3; ++j) CHECK(w[j] == Approx(1.0 / 3));  // the zero query attends uniformly
  sum(r.out * r.out).backward();
  for (const Tensor& t : {q.grad(), k.grad(), v.grad(), named_parameter(*attn, "log_scale").grad()}) {
    for (double g : to_vector<double>(t)) CHECK(std::isfinite(g));
  }
}
