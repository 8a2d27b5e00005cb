// per_position_test.cpp — the "per_position" variant (one score per key, e_j = w·k_j): the
// weights are the softmax of e over each query's allowed keys, written out here by hand, and
// the output is softmax pooling of v with those weights whatever the queries are; the O(N) path
// (no weights requested) equals the dense path (weights requested) under every mask it takes,
// builds no Tq×Tk tensor in its graph, and passes gradcheck with padding, a fully padded
// sentence and queries that see no key.
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

std::unique_ptr<AttentionVariant> make() { return make_variant("per_position", kHeads, kDim, 13); }

struct Inputs {
  Tensor q, k, v;
};
Inputs random_inputs(int64_t B, int64_t tq, int64_t tk, uint64_t seed = 67) {
  Generator gen(seed);
  return {randn({B, kHeads, tq, kDim}, gen, Dtype::float64), randn({B, kHeads, tk, kDim}, gen, Dtype::float64),
          randn({B, kHeads, tk, kDim}, gen, Dtype::float64)};
}

}  // namespace

TEST_CASE("per_position: weights are the softmax of w·k over allowed keys and the same for every query",
          "[attention][per_position]") {
  const int64_t B = 2, T = 5;
  auto attn = make();
  const auto w = to_vector<double>(named_parameter(*attn, "w"));  // (H, Dh)
  const Inputs x = random_inputs(B, T, T);
  const Tensor pad = padding_mask(T, {2, 0});
  const AttentionResult r = attn->forward(x.q, x.k, x.v, AttentionMask::key_padding(pad), true);
  const auto ks = to_vector<double>(x.k), vs = to_vector<double>(x.v);
  const auto weights = to_vector<double>(r.weights), out = to_vector<double>(r.out);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < kHeads; ++h) {
      const int64_t n_keys = b == 0 ? T - 2 : T;
      std::vector<double> e(T, 0.0);
      double total = 0;
      for (int64_t j = 0; j < n_keys; ++j) {
        for (int64_t d = 0; d < kDim; ++d) e[j] += w[h * kDim + d] * ks[((b * kHeads + h) * T + j) * kDim + d];
        total += std::exp(e[j]);
      }
      std::vector<double> pooled(kDim, 0.0);
      for (int64_t j = 0; j < n_keys; ++j) {
        for (int64_t d = 0; d < kDim; ++d)
          pooled[d] += std::exp(e[j]) / total * vs[((b * kHeads + h) * T + j) * kDim + d];
      }
      for (int64_t i = 0; i < T; ++i) {
        const int64_t row = (b * kHeads + h) * T + i;
        for (int64_t j = 0; j < T; ++j) {
          CHECK(weights[row * T + j] == Approx(j < n_keys ? std::exp(e[j]) / total : 0.0).margin(1e-12));
        }
        for (int64_t d = 0; d < kDim; ++d) CHECK(out[row * kDim + d] == Approx(pooled[d]).margin(1e-12));
      }
    }
  }
  // Other queries, the same output.
  const Tensor other_q = random_inputs(B, T, T, 71).q;
  CHECK(max_diff(attn->forward(other_q, x.k, x.v, AttentionMask::key_padding(pad), false).out, r.out) < 1e-12);
}

TEST_CASE("per_position: the O(N) path equals the dense path under causal and padding masks",
          "[attention][per_position]") {
  auto attn = make();
  const Tensor pad6 = padding_mask(6, {2, 6});  // batch 1 is all padding
  const Tensor pad4 = padding_mask(4, {1, 0});
  struct Case {
    const char* name;
    int64_t tq, tk;
    AttentionMask mask;
  };
  const std::vector<Case> cases{
      {"no mask", 4, 6, AttentionMask()},
      {"padding", 4, 6, AttentionMask::key_padding(pad6)},
      {"causal", 4, 4, AttentionMask::causal()},
      {"causal and padding", 4, 4, AttentionMask::causal() & AttentionMask::key_padding(pad4)},
      {"causal, fewer queries than keys", 3, 6, AttentionMask::causal() & AttentionMask::key_padding(pad6)},
      {"causal, more queries than keys (the first see none)", 6, 4, AttentionMask::causal()},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Inputs x = random_inputs(2, c.tq, c.tk);
    const Tensor pooled = attn->forward(x.q, x.k, x.v, c.mask, false).out;
    const Tensor dense = attn->forward(x.q, x.k, x.v, c.mask, true).out;
    CHECK(max_diff(pooled, dense) < 1e-12);
    CHECK(max_diff(attn->forward_prepared(x.q, attn->prepare_keys(x.k), x.v, c.mask, false).out, dense) < 1e-12);
  }
}

TEST_CASE("per_position: the graph without weights holds no Tq×Tk tensor", "[attention][per_position]") {
  auto attn = make();
  const int64_t Tq = 7, Tk = 9;
  Inputs x = random_inputs(1, Tq, Tk);
  x.k.requires_grad_();
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(Tk, {2}));
  const std::string scores_shape = fmt::format("{}", Shape{1, kHeads, Tq, Tk});
  const std::string pooled = to_dot(attn->forward(x.q, x.k, x.v, mask, false).out);
  const std::string dense = to_dot(attn->forward(x.q, x.k, x.v, mask, true).out);
  CHECK(dense.find(scores_shape) != std::string::npos);  // the dense path does build the scores
  CHECK(pooled.find(scores_shape) == std::string::npos);
  CHECK(pooled.find("per_position_pool") != std::string::npos);
}

TEST_CASE("per_position: the O(N) path passes gradcheck with padding and empty rows", "[attention][per_position]") {
  auto attn = make();
  const Inputs x = random_inputs(2, 5, 4);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(4, {1, 4}));
  std::vector<Tensor> inputs{x.q.clone().requires_grad_(), x.k.clone().requires_grad_(), x.v.clone().requires_grad_(),
                             named_parameter(*attn, "w")};
  REQUIRE_NOTHROW(gradcheck(
      "per_position (O(N) path)",
      [&](const std::vector<Tensor>& in) { return attn->forward(in[0], in[1], in[2], mask, false).out; }, inputs));
  const Tensor out = attn->forward(inputs[0], inputs[1], inputs[2], mask, false).out;
  sum(out * out).backward();
  CHECK(max_diff(inputs[0].grad(), zeros(inputs[0].shape(), Dtype::float64)) == 0);  // q does not matter
}
