// adam_test.cpp — Adam and AdamW: two steps computed by hand, L2 versus decoupled weight
// decay, per-parameter step counts, convergence on a small problem, and hyperparameter errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "optim/adam.h"
#include "optim_test_util.h"

using namespace qkv;
using namespace qkv::optim_test;
using Catch::Contains;

namespace {
// One Adam update of a scalar from hand-carried moments, in the paper's bias-corrected form
// p - lr·m̂/(√v̂ + ε); torch (and qkv) compute the same as p - lr/(1-β1^t)·m/(√v/√(1-β2^t) + ε).
struct Moments {
  double m = 0, v = 0;
};
double adam_by_hand(double p, double g, Moments& s, int t, double lr, double b1, double b2, double eps) {
  s.m = b1 * s.m + (1 - b1) * g;
  s.v = b2 * s.v + (1 - b2) * g * g;
  const double m_hat = s.m / (1 - std::pow(b1, t));
  const double v_hat = s.v / (1 - std::pow(b2, t));
  return p - lr * m_hat / (std::sqrt(v_hat) + eps);
}
}  // namespace

TEST_CASE("Adam's first two steps match the update computed by hand", "[optim][adam]") {
  Tensor p = param64({1.0});
  Adam opt({p}, {.lr = 0.1});
  set_grad(p, {0.5});
  opt.step();
  // Step 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25; m̂ = 0.5, √v̂ = 0.5: p = 1 - 0.1·0.5/(0.5 + 1e-8).
  CHECK(values(p)[0] == Approx(1 - 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-15));
  set_grad(p, {-1.0});
  opt.step();
  // Step 2: m = 0.9·0.05 - 0.1 = -0.055, v = 0.999·0.00025 + 0.001 = 0.00124975,
  // p -= 0.1/(1-0.9²) · m / (√v/√(1-0.999²) + 1e-8).
  const double p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
  const double expected = p1 - 0.1 / 0.19 * -0.055 / (std::sqrt(0.00124975) / std::sqrt(0.001999) + 1e-8);
  CHECK(values(p)[0] == Approx(expected).epsilon(1e-14));
  // And the same from the paper's bias-corrected form.
  Moments s;
  double q = adam_by_hand(1.0, 0.5, s, 1, 0.1, 0.9, 0.999, 1e-8);
  q = adam_by_hand(q, -1.0, s, 2, 0.1, 0.9, 0.999, 1e-8);
  CHECK(values(p)[0] == Approx(q).epsilon(1e-14));
  const OptimizerState state = opt.state();
  CHECK(values(state.tensors.at("param.0.exp_avg"))[0] == Approx(-0.055).epsilon(1e-15));
  CHECK(values(state.tensors.at("param.0.exp_avg_sq"))[0] == Approx(0.00124975).epsilon(1e-15));
  CHECK(state.tensors.at("param.0.step").item() == 2);
}

TEST_CASE("Adam adds weight decay to the gradient while AdamW decays the weights", "[optim][adam]") {
  const double lr = 0.1, wd = 0.5, p0 = 2.0, g = 0.5;
  Tensor a = param64({p0});
  Adam adam({a}, {.lr = lr, .weight_decay = wd});
  set_grad(a, {g});
  adam.step();
  // Adam: g' = g + λ·p = 1.5; step 1 moves by lr·g'/(|g'| + ε).
  const double g_l2 = g + wd * p0;
  CHECK(values(a)[0] == Approx(p0 - lr * g_l2 / (g_l2 + 1e-8)).epsilon(1e-15));

  Tensor w = param64({p0});
  AdamW adamw({w}, {.lr = lr, .weight_decay = wd});
  set_grad(w, {g});
  adamw.step();
  // AdamW: p ← p·(1 - lr·λ) = 1.9, then the plain Adam step with g.
  CHECK(values(w)[0] == Approx(p0 * (1 - lr * wd) - lr * g / (g + 1e-8)).epsilon(1e-15));
}

TEST_CASE("AdamW's default weight decay is torch's 0.01 and Adam's is 0", "[optim][adam]") {
  Tensor p = param64({1.0});
  CHECK(AdamW({p}).options().weight_decay == 0.01);
  CHECK(Adam({p}).options().weight_decay == 0);
  CHECK(AdamW({p}).name() == "AdamW");
}

TEST_CASE("Adam counts steps per parameter, so a skipped parameter's bias correction waits", "[optim][adam]") {
  Tensor a = param64({1.0});
  Tensor b = param64({1.0});
  Adam opt({a, b}, {.lr = 0.1});
  set_grad(a, {0.5});
  opt.step();  // b has no gradient: skipped
  set_grad(b, {0.5});
  opt.step();  // a's second update, b's first
  CHECK(values(b)[0] == Approx(1 - 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-15));
  const OptimizerState s = opt.state();
  CHECK(s.tensors.at("param.0.step").item() == 2);
  CHECK(s.tensors.at("param.1.step").item() == 1);
  CHECK(s.scalars.at("step") == 2);
}

TEST_CASE("Adam minimises a quadratic", "[optim][adam]") {
  Generator gen(3);
  Tensor target = randn({10}, gen);
  Tensor w = zeros({10}).requires_grad_();
  Adam opt({w}, {.lr = 0.05});
  for (int i = 0; i < 500; ++i) {
    opt.zero_grad();
    sum(pow(w - target, 2.0)).backward();
    opt.step();
  }
  const std::vector<float> got = to_vector<float>(w), want = to_vector<float>(target);
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-3));
}

TEST_CASE("Adam and AdamW reject bad hyperparameters, naming the value", "[optim][adam][errors]") {
  Tensor p = param64({1.0});
  REQUIRE_THROWS_WITH(Adam({p}, {.lr = -1e-3}), Contains("Adam: lr must be finite and >= 0, got -0.001"));
  REQUIRE_THROWS_WITH(Adam({p}, {.beta1 = 1.0}), Contains("Adam: beta1 must be in [0, 1), got 1"));
  REQUIRE_THROWS_WITH(Adam({p}, {.beta1 = -0.1}), Contains("Adam: beta1 must be in [0, 1), got -0.1"));
  REQUIRE_THROWS_WITH(Adam({p}, {.beta2 = 1.5}), Contains("Adam: beta2 must be in [0, 1), got 1.5"));
  REQUIRE_THROWS_WITH(Adam({p}, {.eps = -1e-8}), Contains("Adam: eps must be finite and >= 0, got -1e-08"));
  REQUIRE_THROWS_WITH(Adam({p}, {.weight_decay = -0.1}),
                      Contains("Adam: weight_decay must be finite and >= 0, got -0.1"));
  REQUIRE_THROWS_WITH(AdamW({p}, {.beta2 = NAN}), Contains("AdamW: beta2 must be in [0, 1), got nan"));
  REQUIRE_THROWS_WITH(AdamW({p}, {.lr = INFINITY}), Contains("AdamW: lr must be finite and >= 0, got inf"));
}
