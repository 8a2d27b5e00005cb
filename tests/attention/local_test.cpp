// local_test.cpp — "local" attention: keys outside the window |i - j| <= w get weight exactly 0
// (and keys inside it do not); under a causal mask the window is left-only; cross-attention
// uses the library's alignment; the result is scaled_dot under the same window mask.
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
std::unique_ptr<AttentionVariant> make_local(const std::string& name, double window) {
  if (name == "scaled_dot") return make_variant(name, 2, 4, 1, {{"fused", 0}});
  return make_variant(name, 2, 4, 1, {{"window", window}});
}

// weights (B, H, Tq, Tk): 0 exactly outside [p - left, p + right], > 0 inside, rows summing to 1.
void check_window(const Tensor& weights, int64_t left, int64_t right) {
  const int64_t B = weights.size(0), H = weights.size(1), tq = weights.size(2), tk = weights.size(3);
  const std::vector<double> w = to_vector<double>(weights);
  for (int64_t r = 0; r < B * H; ++r) {
    for (int64_t i = 0; i < tq; ++i) {
      const int64_t p = i + (tk - tq);
      double row = 0;
      for (int64_t j = 0; j < tk; ++j) {
        const double x = w[(r * tq + i) * tk + j];
        INFO("query " << i << ", key " << j);
        if (j < p - left || j > p + right) {
          CHECK(x == 0.0);
        } else {
          CHECK(x > 0.0);
        }
        row += x;
      }
      CHECK(row == Approx(1.0).epsilon(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("local attention: keys outside the window get weight 0", "[attention][local]") {
  Generator gen(21);
  for (int64_t w : {0, 1, 2}) {
    INFO("window " << w);
    auto attn = make_local("local", static_cast<double>(w));
    const Tensor q = randn({2, 2, 7, 4}, gen, Dtype::float64);
    const Tensor k = randn({2, 2, 7, 4}, gen, Dtype::float64);
    const Tensor v = randn({2, 2, 7, 4}, gen, Dtype::float64);
    check_window(attn->forward(q, k, v, {}, true).weights, w, w);
    check_window(attn->forward(q, k, v, AttentionMask::causal(), true).weights, w, 0);  // left-only
    // Cross-attention: query i sits at key position i + (Tk - Tq).
    check_window(attn->forward(raw::narrow(q, 2, 0, 3), k, v, {}, true).weights, w, w);
  }
}

TEST_CASE("local attention: is scaled_dot under the window mask", "[attention][local]") {
  Generator gen(22);
  auto local = make_local("local", 2);
  auto full = make_local("scaled_dot", 2);
  const Tensor q = randn({2, 2, 6, 4}, gen, Dtype::float64);
  const Tensor k = randn({2, 2, 6, 4}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 6, 4}, gen, Dtype::float64);
  const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                   false, false, false, false, false, false},
                                 Shape{2, 6});
  const auto mask = AttentionMask::key_padding(pad);
  CHECK(max_diff(local->forward(q, k, v, mask, false).out,
                 full->forward(q, k, v, mask & AttentionMask::window(2, 2), false).out) < 1e-14);
  CHECK(max_diff(local->forward(q, k, v, AttentionMask::causal(), false).out,
                 full->forward(q, k, v, AttentionMask::window(2, 0), false).out) < 1e-14);
  // A caller's narrower window still wins (masks AND together).
  check_window(local->forward(q, k, v, AttentionMask::window(1, 0), true).weights, 1, 0);
}

TEST_CASE("local attention: keys outside the window do not change the output", "[attention][local]") {
  Generator gen(23);
  auto attn = make_local("local", 1);
  Tensor q = randn({1, 2, 8, 4}, gen, Dtype::float64);
  Tensor k = randn({1, 2, 8, 4}, gen, Dtype::float64);
  Tensor v = randn({1, 2, 8, 4}, gen, Dtype::float64);
  const Tensor base = attn->forward(q, k, v, {}, false).out;
  // Change keys/values 5..7: queries 0..3 (window 1) cannot see them.
  Tensor k2 = k.clone(), v2 = v.clone();
  raw::copy_(raw::narrow(k2, 2, 5, 3), randn({1, 2, 3, 4}, gen, Dtype::float64, 0, 10));
  raw::copy_(raw::narrow(v2, 2, 5, 3), randn({1, 2, 3, 4}, gen, Dtype::float64, 0, 10));
  const Tensor changed = attn->forward(q, k2, v2, {}, false).out;
  CHECK(max_diff(raw::narrow(base, 2, 0, 4), raw::narrow(changed, 2, 0, 4)) == 0);
}
