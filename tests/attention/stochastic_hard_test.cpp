// stochastic_hard_test.cpp — the "stochastic_hard" variant: while training every weight row is
// one-hot, and over many draws key j is taken with probability softmax(s)_j over the allowed
// keys (a frequency test with a fixed seed, tight enough to reject nearby wrong distributions);
// samples change between forwards and repeat under the same seed; at eval it is `hard`; with the
// noise held fixed, the soft Gumbel-softmax passes gradcheck and the straight-through gradients
// of q and k equal its gradients.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "attention/generator_state.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

std::unique_ptr<AttentionVariant> make_training(int64_t heads, int64_t dim, uint64_t seed,
                                                std::map<std::string, double> options = {}) {
  auto attn = make_variant("stochastic_hard", heads, dim, seed, std::move(options));
  attn->train();
  return attn;
}

// softmax of `s` over the entries where `allowed` is true (0 elsewhere).
std::vector<double> softmax_over(const std::vector<double>& s, const std::vector<bool>& allowed) {
  std::vector<double> p(s.size(), 0.0);
  double total = 0;
  for (size_t j = 0; j < s.size(); ++j) total += allowed[j] ? std::exp(s[j]) : 0.0;
  for (size_t j = 0; j < s.size(); ++j) p[j] = allowed[j] ? std::exp(s[j]) / total : 0.0;
  return p;
}

}  // namespace

TEST_CASE("stochastic_hard: training picks one key per query with the frequencies of softmax(s)",
          "[attention][stochastic_hard]") {
  // Dh = 1 and q = 1, so query i's scores are the keys themselves: s = (0, 1, 2, -1).
  const int64_t N = 20000, Tk = 4;
  const std::vector<double> s{0, 1, 2, -1};
  const Tensor q = raw::contiguous(raw::expand(ones({1, 1, 1, 1}, Dtype::float64), {1, 1, N, 1}));
  const Tensor k = from_vector(s, Shape{1, 1, Tk, 1});
  const Tensor v = from_vector(std::vector<double>{10, 20, 30, 40}, Shape{1, 1, Tk, 1});
  Tensor block2 = ones({1, 1, 1, Tk}, Dtype::bool_);
  raw::fill_(raw::narrow(block2, 3, 2, 1), 0.0);  // the likeliest key masked
  const std::vector<std::pair<AttentionMask, std::vector<bool>>> cases{
      {AttentionMask(), {true, true, true, true}}, {AttentionMask::allowing(block2), {true, true, false, true}}};

  auto attn = make_training(1, 1, 23);
  for (const auto& [mask, allowed] : cases) {
    const AttentionResult r = attn->forward(q, k, v, mask, true);
    const auto w = to_vector<double>(r.weights);
    const auto out = to_vector<double>(r.out);
    std::vector<double> frequency(Tk, 0.0);
    for (int64_t i = 0; i < N; ++i) {
      int64_t ones_in_row = 0;
      for (int64_t j = 0; j < Tk; ++j) {
        REQUIRE((w[i * Tk + j] == 0.0 || w[i * Tk + j] == 1.0));
        if (w[i * Tk + j] == 1.0) {
          ++ones_in_row;
          frequency[j] += 1.0 / N;
          CHECK(out[i] == 10.0 * (j + 1));
        }
      }
      REQUIRE(ones_in_row == 1);
    }
    // Each frequency has standard deviation <= √(0.25/N) = 0.0035: 0.015 is over 4 of them, and
    // the wrong distributions below sit at least 0.1 away from the right one somewhere.
    const std::vector<double> want = softmax_over(s, allowed);
    std::vector<double> half(s.size()), twice(s.size());
    for (size_t j = 0; j < s.size(); ++j) half[j] = s[j] / 2, twice[j] = s[j] * 2;
    double off_half = 0, off_twice = 0, off_uniform = 0;
    const double n_allowed = static_cast<double>(std::count(allowed.begin(), allowed.end(), true));
    for (int64_t j = 0; j < Tk; ++j) {
      INFO("key " << j);
      CHECK(std::fabs(frequency[j] - want[j]) < 0.015);
      if (!allowed[j]) CHECK(frequency[j] == 0.0);
      off_half = std::max(off_half, std::fabs(softmax_over(half, allowed)[j] - want[j]));
      off_twice = std::max(off_twice, std::fabs(softmax_over(twice, allowed)[j] - want[j]));
      off_uniform = std::max(off_uniform, std::fabs((allowed[j] ? 1 / n_allowed : 0.0) - want[j]));
    }
    CHECK(std::min({off_half, off_twice, off_uniform}) > 0.1);
  }
}

TEST_CASE("stochastic_hard: samples change between forwards and repeat under the same seed",
          "[attention][stochastic_hard]") {
  Generator gen(29);
  const Tensor q = randn({2, 2, 6, 3}, gen, Dtype::float64), k = randn({2, 2, 6, 3}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 6, 3}, gen, Dtype::float64);
  auto a = make_training(2, 3, 8), b = make_training(2, 3, 8);
  const Tensor a1 = a->forward(q, k, v, {}, true).weights, a2 = a->forward(q, k, v, {}, true).weights;
  CHECK(max_diff(a1, a2) == 1.0);  // some query took another key
  CHECK(max_diff(a1, b->forward(q, k, v, {}, true).weights) == 0);
  CHECK(max_diff(a2, b->forward(q, k, v, {}, true).weights) == 0);
}

TEST_CASE("stochastic_hard: at eval it is hard attention (argmax)", "[attention][stochastic_hard]") {
  Generator gen(31);
  const Tensor q = randn({2, 2, 5, 3}, gen, Dtype::float64), k = randn({2, 2, 5, 3}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 5, 3}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(5, {2, 0}));
  auto attn = make_variant("stochastic_hard", 2, 3, 8);
  auto hard = make_variant("hard", 2, 3, 8);
  const AttentionResult r = attn->forward(q, k, v, mask, true), want = hard->forward(q, k, v, mask, true);
  CHECK(max_diff(r.weights, want.weights) == 0);
  CHECK(max_diff(r.out, want.out) == 0);
  CHECK_FALSE(attn->has_exact_gradient());
  CHECK_THROWS_WITH(make_variant("stochastic_hard+sparsemax", 2, 3, 8),
                    Catch::Contains("stochastic_hard") && Catch::Contains("sparsemax"));
  CHECK_THROWS_WITH(make_variant("stochastic_hard", 2, 3, 8, {{"tau", 0}}), Catch::Contains("tau"));
}

TEST_CASE("stochastic_hard: with the noise held the soft sample is gradchecked and straight-through matches it",
          "[attention][stochastic_hard]") {
  Generator gen(37);
  const Tensor q = randn({2, 2, 4, 3}, gen, Dtype::float64), k = randn({2, 2, 4, 3}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 4, 3}, gen, Dtype::float64), r = randn({2, 2, 4, 3}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal();
  auto soft = make_training(2, 3, 9, {{"straight_through", 0}, {"tau", 0.7}});
  auto hard = make_training(2, 3, 9, {{"tau", 0.7}});  // same seed: the same noise
  const GeneratorStates noise(*soft);

  REQUIRE_NOTHROW(gradcheck("stochastic_hard (soft, fixed noise)",
                            [&](const std::vector<Tensor>& in) {
                              noise.restore(*soft);
                              return soft->forward(in[0], in[1], in[2], mask, false).out;
                            },
                            {q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()}));

  // The same linear loss Σ out·r through both: the weights' gradient r·vᵀ goes to the same soft
  // weights, so q and k get identical gradients; v gets the one-hot weightsᵀ·r.
  auto grads = [&](AttentionVariant& attn, Tensor* weights) {
    noise.restore(attn);
    std::vector<Tensor> in{q.clone().requires_grad_(), k.clone().requires_grad_(), v.clone().requires_grad_()};
    const AttentionResult res = attn.forward(in[0], in[1], in[2], mask, true);
    sum(res.out * r).backward();
    if (weights) *weights = res.weights.detach();
    return in;
  };
  Tensor hard_weights;
  const auto g_soft = grads(*soft, nullptr), g_hard = grads(*hard, &hard_weights);
  CHECK(max_diff(g_hard[0].grad(), g_soft[0].grad()) < 1e-12);
  CHECK(max_diff(g_hard[1].grad(), g_soft[1].grad()) < 1e-12);
  CHECK(max_diff(g_hard[2].grad(), matmul(transpose(hard_weights, -1, -2), r)) < 1e-12);
  CHECK(max_diff(g_hard[2].grad(), g_soft[2].grad()) > 1e-3);  // v's gradients differ: hard vs soft weights
}
