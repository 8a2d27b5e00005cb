// hard_test.cpp — "hard" attention: the output is v at the (first) argmax of the masked
// scaled dot-product scores; weights are one-hot; ties go to the first key; a fully masked
// row gives zero; the straight-through gradients equal those of softmax attention for q and k
// (computed separately here) and the exact ones for v; the variant declares a surrogate gradient.
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

constexpr int64_t kHeads = 2, kDim = 3;

std::unique_ptr<AttentionVariant> make_hard() { return make_variant("hard", kHeads, kDim, 1); }

Tensor masked_scores(const Tensor& q, const Tensor& k, const Tensor& allowed) {
  const Tensor s = matmul(q, transpose(k, -1, -2)) * (1.0 / std::sqrt(static_cast<double>(kDim)));
  return masked_fill(s, raw::logical_not(allowed), -INFINITY);
}

}  // namespace

TEST_CASE("hard attention: the output is v at the argmax key", "[attention][hard]") {
  auto attn = make_hard();
  CHECK_FALSE(attn->has_exact_gradient());
  Generator gen(51);
  const int64_t B = 2, T = 6;
  const Tensor q = randn({B, kHeads, T, kDim}, gen, Dtype::float64);
  const Tensor k = randn({B, kHeads, T, kDim}, gen, Dtype::float64);
  const Tensor v = randn({B, kHeads, T, kDim}, gen, Dtype::float64);
  const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                   false, false, false, false, false, false},
                                 Shape{B, T});
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(pad);
  const AttentionResult r = attn->forward(q, k, v, mask, true);
  const Tensor best = raw::argmax(masked_scores(q, k, mask.materialize(B, kHeads, T, T)), -1);  // (B, H, T)
  const std::vector<int64_t> idx = to_vector<int64_t>(best);
  const std::vector<double> w = to_vector<double>(r.weights);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < kHeads; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        const int64_t row = (b * kHeads + h) * T + i;
        const int64_t j = idx[row];
        INFO("batch " << b << ", head " << h << ", query " << i << " → key " << j);
        CHECK(j <= i);
        if (b == 0) CHECK(j < 4);  // never a padded key
        const Tensor got = raw::select(raw::select(raw::select(r.out, 0, b), 0, h), 0, i);
        const Tensor want = raw::select(raw::select(raw::select(v, 0, b), 0, h), 0, j);
        CHECK(max_diff(got, want) == 0);
        for (int64_t jj = 0; jj < T; ++jj) CHECK(w[row * T + jj] == (jj == j ? 1.0 : 0.0));
      }
    }
  }
}

TEST_CASE("hard attention: ties go to the first key, a fully masked row gives zero", "[attention][hard]") {
  auto attn = make_hard();
  // Keys 1 and 3 are equal and best for every query.
  const Tensor k = from_vector(std::vector<double>{0, 0, 0, 1, 1, 1, -1, 0, 0, 1, 1, 1}, Shape{1, 1, 4, 3});
  const Tensor q = from_vector(std::vector<double>{1, 1, 1, 2, 2, 2}, Shape{1, 1, 2, 3});
  const Tensor v = from_vector(std::vector<double>{0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6}, Shape{1, 1, 4, 3});
  Tensor allowed = ones({1, 1, 2, 4}, Dtype::bool_);
  raw::fill_(raw::select(raw::select(raw::select(allowed, 0, 0), 0, 0), 0, 1), 0.0);  // query 1 sees nothing
  const AttentionResult r = attn->forward(q, k, v, AttentionMask::allowing(allowed), true);
  CHECK(to_vector<double>(r.out) == std::vector<double>{1, 2, 3, 0, 0, 0});
  CHECK(to_vector<double>(r.weights) == std::vector<double>{0, 1, 0, 0, 0, 0, 0, 0});
  const AttentionResult unmasked = attn->forward(q, k, v, {}, false);
  CHECK(to_vector<double>(unmasked.out) == std::vector<double>{1, 2, 3, 1, 2, 3});
}

TEST_CASE("hard attention: the straight-through gradient is softmax attention's", "[attention][hard]") {
  auto attn = make_hard();
  Generator gen(52);
  const int64_t B = 2, Tq = 4, Tk = 5;
  const Tensor q0 = randn({B, kHeads, Tq, kDim}, gen, Dtype::float64);
  const Tensor k0 = randn({B, kHeads, Tk, kDim}, gen, Dtype::float64);
  const Tensor v0 = randn({B, kHeads, Tk, kDim}, gen, Dtype::float64);
  const Tensor dout = randn({B, kHeads, Tq, kDim}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal();
  const Tensor allowed = mask.materialize(B, kHeads, Tq, Tk);

  Tensor q = q0.clone().requires_grad_(), k = k0.clone().requires_grad_(), v = v0.clone().requires_grad_();
  const AttentionResult r = attn->forward(q, k, v, mask, true);
  sum(r.out * dout).backward();

  // Reference: q and k get softmax attention's gradient (with v held fixed); v gets the exact
  // gradient of out = hard·v (with the hard weights held fixed).
  Tensor rq = q0.clone().requires_grad_(), rk = k0.clone().requires_grad_(), rv = v0.clone().requires_grad_();
  const Tensor soft = softmax(masked_scores(rq, rk, allowed), -1);
  const Tensor reference = matmul(soft, v0) + matmul(r.weights.detach(), rv);
  sum(reference * dout).backward();

  CHECK(max_diff(q.grad(), rq.grad()) < 1e-12);
  CHECK(max_diff(k.grad(), rk.grad()) < 1e-12);
  CHECK(max_diff(v.grad(), rv.grad()) < 1e-12);
  // And they are not zero: a plain argmax would have given q and k no gradient at all.
  CHECK(max_diff(q.grad(), zeros_like(q0)) > 1e-3);
}
