// conv_test.cpp — "conv" attention: its kernels are (H, K, Dh) parameters; it equals scaled_dot
// on keys (and queries) convolved by a reference loop written here — centred without a causal
// mask, left-only (causal) with one; a width-1 identity kernel gives plain scaled_dot; future
// keys do not leak through the causal convolution; padded keys do not leak into their
// neighbours even mid-sequence; gradcheck covers both kernels.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "nn/init.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kHeads = 2, kDim = 3;

std::unique_ptr<AttentionVariant> make_conv(double kernel, double queries, uint64_t seed = 1) {
  return make_variant("conv", kHeads, kDim, seed, {{"kernel", kernel}, {"queries", queries}});
}

// The composed path, which conv attention shares, so results are bitwise equal.
std::unique_ptr<AttentionVariant> make_scaled_dot() {
  return make_variant("scaled_dot", kHeads, kDim, 1, {{"fused", 0}});
}

// out[b, h, t, c] = Σ_m w[h, m, c]·x[b, h, t + m - left, c] (zero outside), by loops.
Tensor reference_conv(const Tensor& x_in, const Tensor& w_in, int64_t left) {
  const Tensor x = raw::contiguous(x_in), w = raw::contiguous(w_in.detach());
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3), K = w.size(1);
  Tensor out = zeros(x.shape(), Dtype::float64);
  const double* xs = x.data<double>();
  const double* ws = w.data<double>();
  double* o = out.data<double>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t m = 0; m < K; ++m) {
          const int64_t src = t + m - left;
          if (src < 0 || src >= T) continue;
          for (int64_t c = 0; c < D; ++c) {
            o[((b * H + h) * T + t) * D + c] += ws[(h * K + m) * D + c] * xs[((b * H + h) * T + src) * D + c];
          }
        }
  return out;
}

Tensor named(AttentionVariant& attn, const std::string& name) {
  for (auto& [n, p] : attn.named_parameters()) {
    if (n == name) return p;
  }
  FAIL("no parameter " << name);
  return {};
}

}  // namespace

TEST_CASE("conv attention: kernels are (H, K, Dh) parameters", "[attention][conv]") {
  auto keys_only = make_conv(5, 0);
  REQUIRE(keys_only->named_parameters().size() == 1);
  CHECK(named(*keys_only, "key_kernel").shape() == Shape{kHeads, 5, kDim});
  auto both = make_conv(3, 1);
  REQUIRE(both->named_parameters().size() == 2);
  CHECK(named(*both, "query_kernel").shape() == Shape{kHeads, 3, kDim});
  // Reset draws U(-1/√K, 1/√K).
  for (double x : to_vector<double>(named(*both, "key_kernel"))) CHECK(std::fabs(x) <= 1 / std::sqrt(3.0));
}

TEST_CASE("conv attention: equals scaled_dot on convolved keys and queries", "[attention][conv]") {
  Generator gen(41);
  auto ref = make_scaled_dot();
  for (int64_t kernel : {1, 2, 3, 4}) {
    for (double queries : {0.0, 1.0}) {
      auto attn = make_conv(static_cast<double>(kernel), queries, 100 + kernel);
      const Tensor q = randn({2, kHeads, 5, kDim}, gen, Dtype::float64);
      const Tensor k = randn({2, kHeads, 6, kDim}, gen, Dtype::float64);
      const Tensor v = randn({2, kHeads, 6, kDim}, gen, Dtype::float64);
      for (const bool causal : {false, true}) {
        INFO("kernel " << kernel << ", queries " << queries << ", causal " << causal);
        const int64_t left = causal ? kernel - 1 : (kernel - 1) / 2;
        const auto mask = causal ? AttentionMask::causal() : AttentionMask();
        const Tensor ck = reference_conv(k, named(*attn, "key_kernel"), left);
        const Tensor cq = queries != 0 ? reference_conv(q, named(*attn, "query_kernel"), left) : q;
        const AttentionResult got = attn->forward(q, k, v, mask, true);
        const AttentionResult want = ref->forward(cq, ck, v, mask, true);
        CHECK(max_diff(got.out, want.out) < 1e-12);
        CHECK(max_diff(got.weights, want.weights) < 1e-12);
      }
    }
  }
}

TEST_CASE("conv attention: a width-1 identity kernel is plain scaled_dot", "[attention][conv]") {
  Generator gen(42);
  auto attn = make_conv(1, 1);
  for (auto& [name, p] : attn->named_parameters()) init_constant_(p, 1.0);
  const Tensor q = randn({2, kHeads, 4, kDim}, gen, Dtype::float64);
  const Tensor k = randn({2, kHeads, 4, kDim}, gen, Dtype::float64);
  const Tensor v = randn({2, kHeads, 4, kDim}, gen, Dtype::float64);
  CHECK(max_diff(attn->forward(q, k, v, AttentionMask::causal(), false).out,
                 make_scaled_dot()->forward(q, k, v, AttentionMask::causal(), false).out) == 0);
}

TEST_CASE("conv attention: no future key leaks through the causal convolution", "[attention][conv]") {
  Generator gen(43);
  auto attn = make_conv(4, 1);
  const Tensor q = randn({1, kHeads, 8, kDim}, gen, Dtype::float64);
  const Tensor k = randn({1, kHeads, 8, kDim}, gen, Dtype::float64);
  const Tensor v = randn({1, kHeads, 8, kDim}, gen, Dtype::float64);
  const Tensor base = attn->forward(q, k, v, AttentionMask::causal(), true).weights;
  for (int64_t t = 1; t < 8; ++t) {
    Tensor k2 = k.clone(), q2 = q.clone();
    raw::copy_(raw::narrow(k2, 2, t, 8 - t), randn({1, kHeads, 8 - t, kDim}, gen, Dtype::float64, 0, 10));
    raw::copy_(raw::narrow(q2, 2, t, 8 - t), randn({1, kHeads, 8 - t, kDim}, gen, Dtype::float64, 0, 10));
    const Tensor changed = attn->forward(q2, k2, v, AttentionMask::causal(), true).weights;
    CHECK(max_diff(raw::narrow(base, 2, 0, t), raw::narrow(changed, 2, 0, t)) == 0);
  }
}

TEST_CASE("conv attention: padded keys do not leak into their neighbours", "[attention][conv]") {
  Generator gen(44);
  auto attn = make_conv(3, 0);
  const Tensor q = randn({1, kHeads, 5, kDim}, gen, Dtype::float64);
  const Tensor k = randn({1, kHeads, 6, kDim}, gen, Dtype::float64);
  const Tensor v = randn({1, kHeads, 6, kDim}, gen, Dtype::float64);
  const Tensor pad = from_vector(std::vector<bool>{false, false, true, false, false, true}, Shape{1, 6});
  const auto mask = AttentionMask::key_padding(pad);
  const Tensor base = attn->forward(q, k, v, mask, false).out;
  Tensor k2 = k.clone(), v2 = v.clone();
  for (int64_t j : {2, 5}) {
    raw::copy_(raw::narrow(k2, 2, j, 1), randn({1, kHeads, 1, kDim}, gen, Dtype::float64, 0, 10));
    raw::copy_(raw::narrow(v2, 2, j, 1), randn({1, kHeads, 1, kDim}, gen, Dtype::float64, 0, 10));
  }
  CHECK(max_diff(base, attn->forward(q, k2, v2, mask, false).out) == 0);
}

TEST_CASE("conv attention: passes gradcheck for q, k, v and both kernels", "[attention][conv][gradcheck]") {
  Generator gen(45);
  auto attn = make_conv(3, 1);
  const Tensor pad =
      from_vector(std::vector<bool>{false, false, false, true, false, false, false, false, true, true}, Shape{2, 5});
  for (const AttentionMask& mask : {AttentionMask(), AttentionMask::causal() & AttentionMask::key_padding(pad)}) {
    std::vector<Tensor> in{randn({2, kHeads, 5, kDim}, gen, Dtype::float64).requires_grad_(),
                           randn({2, kHeads, 5, kDim}, gen, Dtype::float64).requires_grad_(),
                           randn({2, kHeads, 5, kDim}, gen, Dtype::float64).requires_grad_()};
    for (const Tensor& p : attn->parameters()) in.push_back(p);
    REQUIRE_NOTHROW(gradcheck(
        "conv attention",
        [&](const std::vector<Tensor>& x) { return attn->forward(x[0], x[1], x[2], mask, false).out; }, in));
  }
}
