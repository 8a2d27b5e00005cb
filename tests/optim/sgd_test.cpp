// sgd_test.cpp — SGD: single steps computed by hand for each option, skipping parameters
// without gradients, and the hyperparameter errors.
#include <catch2/catch.hpp>

#include "nn/linear.h"
#include "optim/sgd.h"
#include "optim_test_util.h"

using namespace qkv;
using namespace qkv::optim_test;
using Catch::Contains;

TEST_CASE("SGD without momentum steps p ← p - lr·g", "[optim][sgd]") {
  Tensor p = param64({1.0, -2.0});
  SGD opt({p}, {.lr = 0.1});
  set_grad(p, {0.5, 0.25});
  opt.step();
  CHECK(values(p)[0] == Approx(0.95).epsilon(1e-15));
  CHECK(values(p)[1] == Approx(-2.025).epsilon(1e-15));
  CHECK(opt.step_count() == 1);
}

TEST_CASE("SGD momentum: the first step copies the gradient into the buffer, undamped", "[optim][sgd]") {
  Tensor p = param64({1.0});
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  set_grad(p, {1.0});
  opt.step();  // v = g = 1 (no dampening on the first step); p = 1 - 0.1·1
  CHECK(values(p)[0] == Approx(0.9).epsilon(1e-15));
  set_grad(p, {2.0});
  opt.step();  // v = 0.9·1 + (1-0.5)·2 = 1.9; p = 0.9 - 0.1·1.9
  CHECK(values(p)[0] == Approx(0.71).epsilon(1e-15));
  CHECK(values(opt.state().tensors.at("param.0.momentum_buffer"))[0] == Approx(1.9).epsilon(1e-15));
}

TEST_CASE("SGD Nesterov steps along g + μ·v", "[optim][sgd]") {
  Tensor p = param64({1.0});
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  set_grad(p, {1.0});
  opt.step();  // v = 1; d = 1 + 0.9·1 = 1.9; p = 1 - 0.19
  CHECK(values(p)[0] == Approx(0.81).epsilon(1e-15));
  set_grad(p, {2.0});
  opt.step();  // v = 0.9·1 + 2 = 2.9; d = 2 + 0.9·2.9 = 4.61; p = 0.81 - 0.461
  CHECK(values(p)[0] == Approx(0.349).epsilon(1e-14));
}

TEST_CASE("SGD weight decay adds λ·p to the gradient", "[optim][sgd]") {
  Tensor p = param64({2.0});
  SGD opt({p}, {.lr = 0.5, .weight_decay = 0.1});
  set_grad(p, {1.0});
  opt.step();  // d = 1 + 0.1·2 = 1.2; p = 2 - 0.5·1.2
  CHECK(values(p)[0] == Approx(1.4).epsilon(1e-15));
}

TEST_CASE("SGD on float32 parameters computes in float32", "[optim][sgd]") {
  Tensor p = from_vector(std::vector<float>{1.0f, 2.0f}).requires_grad_();
  SGD opt({p}, {.lr = 0.1f});
  set_grad(p, {1.0, -1.0});
  opt.step();
  CHECK(to_vector<float>(p) == std::vector<float>{1.0f - 0.1f, 2.0f + 0.1f});
}

TEST_CASE("SGD skips parameters without a gradient and leaves their state alone", "[optim][sgd]") {
  Tensor a = param64({1.0});
  Tensor b = param64({5.0});
  SGD opt({a, b}, {.lr = 0.1, .momentum = 0.9});
  set_grad(a, {1.0});
  opt.step();
  CHECK(values(a)[0] == Approx(0.9));
  CHECK(values(b)[0] == 5.0);
  OptimizerState s = opt.state();
  CHECK(s.tensors.count("param.0.momentum_buffer") == 1);
  CHECK(s.tensors.count("param.1.momentum_buffer") == 0);
  // b's first gradient arrives at the optimizer's second step: it is b's first update.
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
  set_grad(b, {2.0});
  opt.step();
  CHECK(values(a)[0] == Approx(0.9));
  CHECK(values(b)[0] == Approx(5.0 - 0.1 * 2.0));
  CHECK(opt.state().tensors.at("param.1.step").item() == 1);
}

TEST_CASE("SGD updates a module's parameters in place", "[optim][sgd]") {
  Linear layer(3, 2, true, Dtype::float64);
  Generator gen(7);
  layer.reset_parameters(gen);
  const std::vector<double> before = values(layer.weight());
  SGD opt(layer.parameters(), {.lr = 0.5});
  Tensor x = randn({4, 3}, gen, Dtype::float64);
  sum(layer(x)).backward();
  const std::vector<double> grad = values(layer.weight().grad());
  opt.step();
  const std::vector<double> after = values(layer.weight());
  for (size_t i = 0; i < after.size(); ++i) CHECK(after[i] == Approx(before[i] - 0.5 * grad[i]));
}

TEST_CASE("SGD rejects bad hyperparameters, naming the value", "[optim][sgd][errors]") {
  Tensor p = param64({1.0});
  REQUIRE_THROWS_WITH(SGD({p}, {.lr = -0.1}), Contains("SGD: lr must be finite and >= 0, got -0.1"));
  REQUIRE_THROWS_WITH(SGD({p}, {.lr = NAN}), Contains("SGD: lr must be finite and >= 0, got nan"));
  REQUIRE_THROWS_WITH(SGD({p}, {.momentum = -0.5}), Contains("SGD: momentum must be finite and >= 0, got -0.5"));
  REQUIRE_THROWS_WITH(SGD({p}, {.dampening = 1.5}), Contains("SGD: dampening must be in [0, 1], got 1.5"));
  REQUIRE_THROWS_WITH(SGD({p}, {.weight_decay = -1}), Contains("SGD: weight_decay must be finite and >= 0, got -1"));
  REQUIRE_THROWS_WITH(SGD({p}, {.nesterov = true}),
                      Contains("SGD: nesterov needs momentum > 0 and dampening = 0, got momentum 0 and dampening 0"));
  REQUIRE_THROWS_WITH(SGD({p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                      Contains("got momentum 0.9 and dampening 0.1"));
  SGD opt({p}, {.lr = 0.1});
  REQUIRE_THROWS_WITH(opt.set_lr(-1), Contains("SGD: lr must be finite and >= 0, got -1"));
  CHECK(opt.lr() == 0.1);
  opt.set_lr(0.25);
  CHECK(opt.lr() == 0.25);
}
