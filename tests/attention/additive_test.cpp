// additive_test.cpp — the "additive" variant (Bahdanau, s = vᵀ tanh(W_q q + W_k k)): a tiny
// case against explicit loops and against numbers from PyTorch, the "hidden" option, and
// per-head parameters against loops.
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
  return make_variant("additive", heads, dim, 4, std::move(options));
}

// s[b][h][i][j] = Σ_r v[h][r]·tanh(Σ_a Wq[h][r][a]·q[b][h][i][a] + Σ_a Wk[h][r][a]·k[b][h][j][a]).
std::vector<double> loop_scores(const std::vector<double>& q, const std::vector<double>& k,
                                const std::vector<double>& wq, const std::vector<double>& wk,
                                const std::vector<double>& v, int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D,
                                int64_t R) {
  std::vector<double> s;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Tq; ++i)
        for (int64_t j = 0; j < Tk; ++j) {
          double total = 0;
          for (int64_t r = 0; r < R; ++r) {
            double pre = 0;
            for (int64_t a = 0; a < D; ++a) {
              pre += wq[(h * R + r) * D + a] * q[((b * H + h) * Tq + i) * D + a];
              pre += wk[(h * R + r) * D + a] * k[((b * H + h) * Tk + j) * D + a];
            }
            total += v[h * R + r] * std::tanh(pre);
          }
          s.push_back(total);
        }
  return s;
}

}  // namespace

TEST_CASE("additive: a tiny case matches explicit loops and PyTorch", "[attention][additive]") {
  // One head, Dh = 2, hidden = 3, Tq = 2, Tk = 3.
  auto attn = make(1, 2, {{"hidden", 3}});
  const std::vector<double> wq{0.5, -0.2, 0.1, 0.3, -0.4, 0.6}, wk{0.2, 0.7, -0.3, 0.1, 0.05, -0.5}, v{1.0, -2.0, 0.5};
  raw::copy_(named_parameter(*attn, "w_q"), from_vector(wq, Shape{1, 3, 2}));
  raw::copy_(named_parameter(*attn, "w_k"), from_vector(wk, Shape{1, 3, 2}));
  raw::copy_(named_parameter(*attn, "v"), from_vector(v, Shape{1, 3}));
  const std::vector<double> qv{1, 2, -1, 0.5}, kv{0.3, -1, 2, 0, -0.5, 0.5};
  const Tensor q = from_vector(qv, Shape{1, 1, 2, 2});
  const Tensor k = from_vector(kv, Shape{1, 1, 3, 2});
  const Tensor values = from_vector(std::vector<double>{1, 0, 0, 1, 1, 1}, Shape{1, 1, 3, 2});

  const auto s = to_vector<double>(dynamic_cast<ScoredAttention&>(*attn).scores(q, k));
  const auto loops = loop_scores(qv, kv, wq, wk, v, 1, 1, 2, 3, 2, 3);
  // torch: (tanh(F.linear(q, Wq)[:, None] + F.linear(k, Wk)[None]) @ v), torch 1.13, float64.
  const std::vector<double> torch_scores{-1.0001108151292497,  0.62093010310961039, -0.85544529687956239,
                                         -0.14818416718522948, 1.135683487289491,   -0.62564572666977758};
  REQUIRE(s.size() == 6);
  for (size_t i = 0; i < s.size(); ++i) {
    CHECK(s[i] == Approx(loops[i]).margin(1e-14));
    CHECK(s[i] == Approx(torch_scores[i]).margin(1e-14));
  }
  // And the attention output, softmax(s)·values, as torch computes it.
  const auto out = to_vector<double>(attn->forward(q, k, values, {}, false).out);
  const std::vector<double> torch_out{0.29881497183680705, 0.86138076152696308, 0.30976424716795659,
                                      0.80882952762014926};
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(torch_out[i]).margin(1e-14));
}

TEST_CASE("additive: per-head parameters and the hidden option against loops", "[attention][additive]") {
  const int64_t H = 2, D = 3, R = 5, B = 2, Tq = 3, Tk = 4;
  auto attn = make(H, D, {{"hidden", R}});
  const Tensor wq = named_parameter(*attn, "w_q"), wk = named_parameter(*attn, "w_k"), v = named_parameter(*attn, "v");
  REQUIRE(wq.shape() == Shape{H, R, D});
  REQUIRE(wk.shape() == Shape{H, R, D});
  REQUIRE(v.shape() == Shape{H, R});
  for (double x : to_vector<double>(wq)) CHECK(std::fabs(x) <= 1 / std::sqrt(3.0));
  for (double x : to_vector<double>(v)) CHECK(std::fabs(x) <= 1 / std::sqrt(5.0));

  Generator gen(21);
  const Tensor q = randn({B, H, Tq, D}, gen, Dtype::float64), k = randn({B, H, Tk, D}, gen, Dtype::float64);
  const auto s = to_vector<double>(dynamic_cast<ScoredAttention&>(*attn).scores(q, k));
  const auto loops = loop_scores(to_vector<double>(q), to_vector<double>(k), to_vector<double>(wq),
                                 to_vector<double>(wk), to_vector<double>(v), B, H, Tq, Tk, D, R);
  REQUIRE(s.size() == loops.size());
  for (size_t i = 0; i < s.size(); ++i) CHECK(s[i] == Approx(loops[i]).margin(1e-12));
}

TEST_CASE("additive: hidden defaults to Dh and must be positive", "[attention][additive]") {
  auto attn = make(2, 3);
  CHECK(named_parameter(*attn, "w_q").shape() == Shape{2, 3, 3});
  CHECK(attn->parameter_count() == 2 * 3 * 3 * 2 + 2 * 3);
  REQUIRE_THROWS_WITH(make(2, 3, {{"hidden", 0}}), Catch::Contains("option 'hidden' must be positive"));
}
