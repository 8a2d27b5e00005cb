// bilinear_test.cpp — the "bilinear" variant (Luong's general score s = qᵀ W_h k, one W per
// head): scores against explicit loops, W = I reduces to "dot", and the Linear-style init.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kHeads = 2;
constexpr int64_t kDim = 3;

std::unique_ptr<AttentionVariant> make(const std::string& name) { return make_variant(name, kHeads, kDim, 3); }

}  // namespace

TEST_CASE("bilinear: scores equal Σ_ab q_a W_ab k_b computed with loops", "[attention][bilinear]") {
  auto attn = make("bilinear");
  const Tensor weight = named_parameter(*attn, "weight");
  REQUIRE(weight.shape() == Shape{kHeads, kDim, kDim});
  Generator gen(11);
  const int64_t B = 2, Tq = 3, Tk = 4;
  const Tensor q = randn({B, kHeads, Tq, kDim}, gen, Dtype::float64);
  const Tensor k = randn({B, kHeads, Tk, kDim}, gen, Dtype::float64);
  const Tensor s = dynamic_cast<ScoredAttention&>(*attn).scores(q, k);
  REQUIRE(s.shape() == Shape{B, kHeads, Tq, Tk});

  const auto qv = to_vector<double>(q), kv = to_vector<double>(k), wv = to_vector<double>(weight);
  const auto sv = to_vector<double>(s);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < kHeads; ++h)
      for (int64_t i = 0; i < Tq; ++i)
        for (int64_t j = 0; j < Tk; ++j) {
          double expected = 0;
          for (int64_t a = 0; a < kDim; ++a)
            for (int64_t c = 0; c < kDim; ++c)
              expected += qv[((b * kHeads + h) * Tq + i) * kDim + a] * wv[(h * kDim + a) * kDim + c] *
                          kv[((b * kHeads + h) * Tk + j) * kDim + c];
          CHECK(sv[((b * kHeads + h) * Tq + i) * Tk + j] == Approx(expected).margin(1e-12));
        }
}

TEST_CASE("bilinear: W = I for every head gives the dot variant", "[attention][bilinear]") {
  auto bilinear = make("bilinear");
  auto dot = make("dot");
  std::vector<double> identity;
  for (int64_t h = 0; h < kHeads; ++h)
    for (int64_t a = 0; a < kDim; ++a)
      for (int64_t c = 0; c < kDim; ++c) identity.push_back(a == c ? 1.0 : 0.0);
  raw::copy_(named_parameter(*bilinear, "weight"), from_vector(identity, Shape{kHeads, kDim, kDim}));

  Generator gen(12);
  const Tensor q = randn({2, kHeads, 4, kDim}, gen, Dtype::float64);
  const Tensor k = randn({2, kHeads, 5, kDim}, gen, Dtype::float64);
  const Tensor v = randn({2, kHeads, 5, kDim}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal();
  const AttentionResult a = bilinear->forward(q, k, v, mask, true);
  const AttentionResult b = dot->forward(q, k, v, mask, true);
  const auto aw = to_vector<double>(a.weights), bw = to_vector<double>(b.weights);
  const auto ao = to_vector<double>(a.out), bo = to_vector<double>(b.out);
  for (size_t i = 0; i < aw.size(); ++i) CHECK(aw[i] == Approx(bw[i]).margin(1e-12));
  for (size_t i = 0; i < ao.size(); ++i) CHECK(ao[i] == Approx(bo[i]).margin(1e-12));
}

TEST_CASE("bilinear: each head has its own W initialised like a Linear (±1/√Dh)", "[attention][bilinear]") {
  auto attn = make("bilinear");
  REQUIRE(attn->parameter_count() == kHeads * kDim * kDim);
  const auto w = to_vector<double>(named_parameter(*attn, "weight"));
  const double bound = 1.0 / std::sqrt(static_cast<double>(kDim));
  for (double x : w) CHECK(std::fabs(x) <= bound);
  // The two heads' matrices differ, so the heads score differently.
  bool differ = false;
  for (int64_t i = 0; i < kDim * kDim; ++i) differ = differ || w[i] != w[kDim * kDim + i];
  CHECK(differ);

  // A q with the wrong number of heads is refused with a clear message.
  Generator gen(13);
  const Tensor q = randn({1, 3, 2, kDim}, gen, Dtype::float64);
  REQUIRE_THROWS_WITH(dynamic_cast<ScoredAttention&>(*attn).scores(q, q), Catch::Contains("built for 2 heads"));
}
