// mlp_sigmoid_test.cpp — the "mlp_sigmoid" variant: weights and outputs equal the formula
// σ(w2·relu(W1q q + W1k k + b1)) written out here with loops over the parameters, masked keys
// get weight 0 and rows need not sum to 1; option "hidden" sets the MLP's width; a named
// normaliser replaces the sigmoid.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::attention_test;

TEST_CASE("mlp_sigmoid: weights and output equal the hand-written formula", "[attention][mlp_sigmoid]") {
  const int64_t B = 2, H = 2, Tq = 3, Tk = 4, D = 3, E = 5;
  auto attn = make_variant("mlp_sigmoid", H, D, 11, {{"hidden", E}});
  const auto w1q = to_vector<double>(named_parameter(*attn, "w1_q"));  // (H, E, D)
  const auto w1k = to_vector<double>(named_parameter(*attn, "w1_k"));  // (H, E, D)
  const auto b1 = to_vector<double>(named_parameter(*attn, "b1"));     // (H, E)
  const auto w2 = to_vector<double>(named_parameter(*attn, "w2"));     // (H, E)
  REQUIRE(w1q.size() == static_cast<size_t>(H * E * D));
  REQUIRE(b1.size() == static_cast<size_t>(H * E));

  Generator gen(53);
  const Tensor q = randn({B, H, Tq, D}, gen, Dtype::float64), k = randn({B, H, Tk, D}, gen, Dtype::float64);
  const Tensor v = randn({B, H, Tk, D}, gen, Dtype::float64);
  const Tensor pad = padding_mask(Tk, {1, 0});  // batch 0: key 3 is padding
  const AttentionResult r = attn->forward(q, k, v, AttentionMask::key_padding(pad), true);
  const auto qs = to_vector<double>(q), ks = to_vector<double>(k), vs = to_vector<double>(v);
  const auto w = to_vector<double>(r.weights), out = to_vector<double>(r.out);

  bool some_row_not_one = false;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < Tq; ++i) {
        const double* qi = &qs[((b * H + h) * Tq + i) * D];
        std::vector<double> want_out(D, 0.0);
        double row_sum = 0;
        for (int64_t j = 0; j < Tk; ++j) {
          const double* kj = &ks[((b * H + h) * Tk + j) * D];
          double s = 0;
          for (int64_t e = 0; e < E; ++e) {
            double pre = b1[h * E + e];
            for (int64_t d = 0; d < D; ++d) pre += w1q[(h * E + e) * D + d] * qi[d] + w1k[(h * E + e) * D + d] * kj[d];
            s += w2[h * E + e] * std::max(pre, 0.0);
          }
          const bool allowed = !(b == 0 && j == 3);
          const double weight = allowed ? 1.0 / (1.0 + std::exp(-s)) : 0.0;
          const int64_t row = (b * H + h) * Tq + i;
          CHECK(w[row * Tk + j] == Approx(weight).margin(1e-12));
          row_sum += weight;
          for (int64_t d = 0; d < D; ++d) want_out[d] += weight * vs[((b * H + h) * Tk + j) * D + d];
        }
        some_row_not_one = some_row_not_one || std::fabs(row_sum - 1.0) > 1e-3;
        for (int64_t d = 0; d < D; ++d) CHECK(out[((b * H + h) * Tq + i) * D + d] == Approx(want_out[d]).margin(1e-12));
      }
    }
  }
  CHECK(some_row_not_one);  // sigmoid weights, not a distribution
}

TEST_CASE("mlp_sigmoid: option hidden sets the MLP width and a named normaliser replaces the sigmoid",
          "[attention][mlp_sigmoid]") {
  auto narrow_mlp = make_variant("mlp_sigmoid", 2, 3, 11, {{"hidden", 7}});
  CHECK(named_parameter(*narrow_mlp, "w1_q").shape() == Shape{2, 7, 3});
  CHECK(named_parameter(*narrow_mlp, "w2").shape() == Shape{2, 7});
  CHECK(make_variant("mlp_sigmoid", 2, 3, 11)->parameter_count() == 2 * (3 * 3 * 2 + 3 + 3));  // hidden = Dh
  CHECK_THROWS_WITH(make_variant("mlp_sigmoid", 2, 3, 11, {{"hidden", 0}}),
                    Catch::Contains("mlp_sigmoid") && Catch::Contains("hidden"));

  Generator gen(59);
  const Tensor q = randn({1, 2, 3, 3}, gen, Dtype::float64), k = randn({1, 2, 4, 3}, gen, Dtype::float64);
  const Tensor v = randn({1, 2, 4, 3}, gen, Dtype::float64);
  auto sparse = make_variant("mlp_sigmoid+sparsemax", 2, 3, 11);
  const Tensor w = sparse->forward(q, k, v, {}, true).weights;
  for (double row_sum : to_vector<double>(sum(w, {-1}))) CHECK(row_sum == Approx(1.0).margin(1e-12));
}
