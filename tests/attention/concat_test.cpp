// concat_test.cpp — the "concat" variant (s = w·[q; k] + b, no tanh): the decomposed scores
// equal a literal concatenation, and — the reason it is only a baseline — softmax over keys
// ignores the query: every query gets the same weights, and w_q and b get no gradient.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kHeads = 2;
constexpr int64_t kDim = 3;

std::unique_ptr<AttentionVariant> make(const std::string& name) { return make_variant(name, kHeads, kDim, 6); }

}  // namespace

TEST_CASE("concat: scores equal a linear layer on the literal concatenation of q and k", "[attention][concat]") {
  auto attn = make("concat");
  const Tensor weight = named_parameter(*attn, "weight"), bias = named_parameter(*attn, "bias");
  REQUIRE(weight.shape() == Shape{kHeads, 2 * kDim});
  REQUIRE(bias.shape() == Shape{kHeads});
  const double bound = 1 / std::sqrt(2.0 * kDim);
  for (double x : to_vector<double>(weight)) CHECK(std::fabs(x) <= bound);

  Generator gen(31);
  const int64_t B = 2, Tq = 3, Tk = 4;
  const Tensor q = randn({B, kHeads, Tq, kDim}, gen, Dtype::float64);
  const Tensor k = randn({B, kHeads, Tk, kDim}, gen, Dtype::float64);
  const auto s = to_vector<double>(dynamic_cast<ScoredAttention&>(*attn).scores(q, k));
  const auto qv = to_vector<double>(q), kv = to_vector<double>(k), w = to_vector<double>(weight),
             b = to_vector<double>(bias);
  size_t at = 0;
  for (int64_t n = 0; n < B; ++n)
    for (int64_t h = 0; h < kHeads; ++h)
      for (int64_t i = 0; i < Tq; ++i)
        for (int64_t j = 0; j < Tk; ++j) {
          std::vector<double> cat;  // [q_i; k_j], length 2·Dh
          for (int64_t a = 0; a < kDim; ++a) cat.push_back(qv[((n * kHeads + h) * Tq + i) * kDim + a]);
          for (int64_t a = 0; a < kDim; ++a) cat.push_back(kv[((n * kHeads + h) * Tk + j) * kDim + a]);
          double expected = b[h];
          for (int64_t c = 0; c < 2 * kDim; ++c) expected += w[h * 2 * kDim + c] * cat[c];
          CHECK(s[at++] == Approx(expected).margin(1e-12));
        }
}

TEST_CASE("concat: under softmax every query gets the same weights (the score is separable)", "[attention][concat]") {
  auto attn = make("concat");
  Generator gen(32);
  const Tensor q = randn({1, kHeads, 4, kDim}, gen, Dtype::float64, 0, 5);
  const Tensor k = randn({1, kHeads, 5, kDim}, gen, Dtype::float64);
  const Tensor v = randn({1, kHeads, 5, kDim}, gen, Dtype::float64);
  const Tensor w = attn->forward(q, k, v, {}, true).weights;  // (1, H, 4, 5)
  const Tensor first_query = raw::narrow(w, 2, 0, 1);
  const auto diff = to_vector<double>(raw::abs(raw::sub(w, first_query)));
  for (double d : diff) CHECK(d < 1e-12);

  // So the query half of w and the bias get exactly no gradient through softmax ...
  Tensor qg = q.clone().requires_grad_();
  const Tensor out = attn->forward(qg, k, v, {}, false).out;
  sum(out * out).backward();
  const auto w_grad = to_vector<double>(named_parameter(*attn, "weight").grad());
  for (int64_t h = 0; h < kHeads; ++h) {
    for (int64_t a = 0; a < kDim; ++a) CHECK(std::fabs(w_grad[h * 2 * kDim + a]) < 1e-10);  // w_q
  }
  for (double g : to_vector<double>(named_parameter(*attn, "bias").grad())) CHECK(std::fabs(g) < 1e-10);
  for (double g : to_vector<double>(qg.grad())) CHECK(std::fabs(g) < 1e-10);
  double key_grad = 0;  // ... while the key half does get one
  for (int64_t h = 0; h < kHeads; ++h) {
    for (int64_t a = 0; a < kDim; ++a) key_grad += std::fabs(w_grad[h * 2 * kDim + kDim + a]);
  }
  CHECK(key_grad > 1e-6);

  // With a normaliser that does not renormalise over keys, the query term matters again.
  auto sig = make("concat+sigmoid");
  const Tensor ws = sig->forward(q, k, v, {}, true).weights;
  double spread = 0;
  for (double d : to_vector<double>(raw::abs(raw::sub(ws, raw::narrow(ws, 2, 0, 1))))) spread = std::max(spread, d);
  CHECK(spread > 1e-3);
}
