// strided_test.cpp — "strided" attention: exactly the keys of the pattern |p - j| <= band or
// (p - j) a multiple of the stride get weight (others exactly 0); under a causal mask that is
// the Sparse Transformer's strided pattern; it is scaled_dot under that mask; training and eval
// give the same (deterministic) result; keys outside the pattern do not change the output.
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

// scaled_dot as the reference takes its composed (unfused) path; each gets only its own options
// (make_attention refuses an option the variant does not take).
std::unique_ptr<AttentionVariant> make_strided(const std::string& name, double stride, double band) {
  if (name == "scaled_dot") return make_variant(name, 2, 4, 1, {{"fused", 0}});
  return make_variant(name, 2, 4, 1, {{"stride", stride}, {"band", band}});
}

bool in_pattern(int64_t p, int64_t j, int64_t stride, int64_t band, bool causal) {
  if (causal && j > p) return false;
  const int64_t d = p - j;
  return std::abs(d) <= band || d % stride == 0;
}

Tensor pattern_mask(int64_t tq, int64_t tk, int64_t stride, int64_t band, bool causal) {
  Tensor a = Tensor::empty({1, 1, tq, tk}, Dtype::bool_);
  for (int64_t i = 0; i < tq; ++i) {
    for (int64_t j = 0; j < tk; ++j) a.data<bool>()[i * tk + j] = in_pattern(i + tk - tq, j, stride, band, causal);
  }
  return a;
}

}  // namespace

TEST_CASE("strided attention: only the band and every s-th key get weight", "[attention][strided]") {
  Generator gen(31);
  auto attn = make_strided("strided", 3, 1);
  for (auto [tq, tk] : {std::pair<int64_t, int64_t>{10, 10}, {4, 10}}) {
    const Tensor q = randn({1, 2, tq, 4}, gen, Dtype::float64);
    const Tensor k = randn({1, 2, tk, 4}, gen, Dtype::float64);
    const Tensor v = randn({1, 2, tk, 4}, gen, Dtype::float64);
    for (const bool causal : {false, true}) {
      INFO("Tq " << tq << ", Tk " << tk << ", causal " << causal);
      const auto mask = causal ? AttentionMask::causal() : AttentionMask();
      const std::vector<double> w = to_vector<double>(attn->forward(q, k, v, mask, true).weights);
      for (int64_t h = 0; h < 2; ++h) {
        for (int64_t i = 0; i < tq; ++i) {
          for (int64_t j = 0; j < tk; ++j) {
            INFO("query " << i << ", key " << j);
            const double x = w[(h * tq + i) * tk + j];
            if (in_pattern(i + tk - tq, j, 3, 1, causal)) {
              CHECK(x > 0.0);
            } else {
              CHECK(x == 0.0);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("strided attention: the causal pattern is the Sparse Transformer's", "[attention][strided]") {
  // Child et al. 2019, stride l: query i sees j <= i with i - j < l, or (i - j) mod l == 0.
  auto attn = make_strided("strided", 4, 3);  // band = stride - 1 (the default)
  Generator gen(32);
  const int64_t T = 12;
  const Tensor q = randn({1, 1, T, 4}, gen, Dtype::float64);
  const Tensor k = randn({1, 1, T, 4}, gen, Dtype::float64);
  const Tensor v = randn({1, 1, T, 4}, gen, Dtype::float64);
  const std::vector<double> w = to_vector<double>(attn->forward(q, k, v, AttentionMask::causal(), true).weights);
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t j = 0; j < T; ++j) {
      const bool child = j <= i && ((i - j) < 4 || (i - j) % 4 == 0);
      CHECK((w[i * T + j] > 0) == child);
    }
  }
  // The default band is stride - 1.
  AttentionConfig config;
  config.num_heads = 1;
  config.head_dim = 4;
  config.dtype = Dtype::float64;
  config.options["stride"] = 4;
  auto defaulted = make_attention("strided", config);
  CHECK(max_diff(defaulted->forward(q, k, v, AttentionMask::causal(), true).weights,
                 attn->forward(q, k, v, AttentionMask::causal(), true).weights) == 0);
}

TEST_CASE("strided attention: is scaled_dot under the pattern mask, the same in training and eval",
          "[attention][strided]") {
  Generator gen(33);
  auto attn = make_strided("strided", 2, 0);
  auto full = make_strided("scaled_dot", 2, 0);
  const Tensor q = randn({2, 2, 7, 4}, gen, Dtype::float64);
  const Tensor k = randn({2, 2, 7, 4}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 7, 4}, gen, Dtype::float64);
  const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, false, true, true,  //
                                                   false, false, false, false, false, false, false},
                                 Shape{2, 7});
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(pad);
  attn->train();
  const Tensor trained = attn->forward(q, k, v, mask, false).out;
  attn->eval();
  const Tensor evaluated = attn->forward(q, k, v, mask, false).out;
  CHECK(max_diff(trained, evaluated) == 0);
  const Tensor reference =
      full->forward(q, k, v, mask & AttentionMask::allowing(pattern_mask(7, 7, 2, 0, false)), false).out;
  CHECK(max_diff(evaluated, reference) < 1e-14);
}

TEST_CASE("strided attention: keys outside the pattern do not change the output", "[attention][strided]") {
  Generator gen(34);
  auto attn = make_strided("strided", 3, 0);
  const Tensor q = randn({1, 2, 7, 4}, gen, Dtype::float64);
  const Tensor k = randn({1, 2, 7, 4}, gen, Dtype::float64);
  const Tensor v = randn({1, 2, 7, 4}, gen, Dtype::float64);
  // Query 6 sees keys 0, 3, 6 only.
  Tensor k2 = k.clone(), v2 = v.clone();
  for (int64_t j : {1, 2, 4, 5}) {
    raw::copy_(raw::narrow(k2, 2, j, 1), randn({1, 2, 1, 4}, gen, Dtype::float64, 0, 10));
    raw::copy_(raw::narrow(v2, 2, j, 1), randn({1, 2, 1, 4}, gen, Dtype::float64, 0, 10));
  }
  const Tensor base = attn->forward(q, k, v, {}, false).out;
  const Tensor changed = attn->forward(q, k2, v2, {}, false).out;
  CHECK(max_diff(raw::select(base, 2, 6), raw::select(changed, 2, 6)) == 0);
}
