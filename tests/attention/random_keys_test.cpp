// random_keys_test.cpp — the "random_keys" variant: while training, each query's weights are
// the softmax of its scores over exactly min(samples, allowed) allowed keys, never a masked one;
// the subset changes from one forward to the next and the sequence repeats under the same seed;
// at eval it is scaled_dot exactly; with the subset held fixed its gradient is exact.
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

constexpr int64_t kHeads = 2, kDim = 3, kSamples = 2;

std::unique_ptr<AttentionVariant> make_training(uint64_t seed) {
  auto attn = make_variant("random_keys", kHeads, kDim, seed, {{"samples", kSamples}});
  attn->train();
  return attn;
}

struct Inputs {
  Tensor q, k, v;
};
Inputs random_inputs(int64_t B, int64_t T) {
  Generator gen(61);
  return {randn({B, kHeads, T, kDim}, gen, Dtype::float64), randn({B, kHeads, T, kDim}, gen, Dtype::float64),
          randn({B, kHeads, T, kDim}, gen, Dtype::float64)};
}

}  // namespace

TEST_CASE("random_keys: while training each query sees min(samples or allowed) allowed keys with softmax over them",
          "[attention][random_keys]") {
  const int64_t B = 2, T = 6;
  auto attn = make_training(3);
  const Inputs x = random_inputs(B, T);
  const Tensor pad = padding_mask(T, {2, 0});  // batch 0: keys 4, 5 are padding
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(pad);
  const Tensor allowed = raw::contiguous(raw::expand(mask.materialize(B, kHeads, T, T), {B, kHeads, T, T}));
  const Tensor allowed_01 = to_dtype(allowed, Dtype::float64);
  const auto a = to_vector<double>(allowed_01);
  const auto s = to_vector<double>(matmul(x.q, transpose(x.k, -1, -2)) * (1.0 / std::sqrt(double(kDim))));
  const auto w = to_vector<double>(attn->forward(x.q, x.k, x.v, mask, true).weights);
  for (int64_t row = 0; row < B * kHeads * T; ++row) {
    int64_t n_allowed = 0, n_chosen = 0;
    double denominator = 0;
    for (int64_t j = 0; j < T; ++j) {
      n_allowed += a[row * T + j] != 0;
      if (w[row * T + j] > 0) {
        ++n_chosen;
        denominator += std::exp(s[row * T + j]);
        CHECK(a[row * T + j] == 1.0);  // never a future or padded key
      }
    }
    INFO("row " << row);
    CHECK(n_chosen == std::min(kSamples, n_allowed));
    for (int64_t j = 0; j < T; ++j) {
      if (w[row * T + j] > 0) CHECK(w[row * T + j] == Approx(std::exp(s[row * T + j]) / denominator).epsilon(1e-12));
    }
  }
}

TEST_CASE("random_keys: the subset changes between training forwards and repeats under the same seed",
          "[attention][random_keys]") {
  const Inputs x = random_inputs(2, 8);
  auto a = make_training(5), b = make_training(5), c = make_training(6);
  const Tensor a1 = a->forward(x.q, x.k, x.v, {}, true).weights, a2 = a->forward(x.q, x.k, x.v, {}, true).weights;
  const Tensor b1 = b->forward(x.q, x.k, x.v, {}, true).weights, b2 = b->forward(x.q, x.k, x.v, {}, true).weights;
  const Tensor c1 = c->forward(x.q, x.k, x.v, {}, true).weights;
  CHECK(max_diff(a1, a2) > 0.1);  // a fresh subset at every forward
  CHECK(max_diff(a1, b1) == 0);   // same seed, same sequence of subsets
  CHECK(max_diff(a2, b2) == 0);
  CHECK(max_diff(a1, c1) > 0.1);  // another seed, other subsets
}

TEST_CASE("random_keys: at eval it is scaled_dot and every call is the same", "[attention][random_keys]") {
  const Inputs x = random_inputs(2, 6);
  auto attn = make_variant("random_keys", kHeads, kDim, 5, {{"samples", kSamples}});
  auto dense = make_variant("scaled_dot", kHeads, kDim, 5);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(6, {1, 3}));
  const AttentionResult r1 = attn->forward(x.q, x.k, x.v, mask, true), r2 = attn->forward(x.q, x.k, x.v, mask, true);
  const AttentionResult want = dense->forward(x.q, x.k, x.v, mask, true);
  CHECK(max_diff(r1.weights, want.weights) < 1e-14);
  CHECK(max_diff(r1.out, want.out) < 1e-14);
  CHECK(max_diff(r1.out, r2.out) == 0);
  CHECK_THROWS_WITH(make_variant("random_keys", kHeads, kDim, 5, {{"samples", 0}}),
                    Catch::Contains("random_keys") && Catch::Contains("samples"));
}

TEST_CASE("random_keys: with the subset held fixed the training gradient is exact", "[attention][random_keys]") {
  auto attn = make_training(7);
  const Inputs x = random_inputs(2, 5);
  const GeneratorStates before(*attn);
  REQUIRE(before.size() >= 1);
  std::vector<Tensor> inputs{x.q.clone().requires_grad_(), x.k.clone().requires_grad_(), x.v.clone().requires_grad_()};
  REQUIRE_NOTHROW(gradcheck(
      "random_keys (training, fixed subset)",
      [&](const std::vector<Tensor>& in) {
        before.restore(*attn);  // every call draws the same subset
        return attn->forward(in[0], in[1], in[2], AttentionMask::causal(), false).out;
      },
      inputs));
}
