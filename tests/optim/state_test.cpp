// state_test.cpp — optimizer state: what state() holds, that a restored optimizer continues
// bit-exactly like an uninterrupted one, and load_state's validation messages.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>

#include "optim/adam.h"
#include "optim/sgd.h"
#include "optim_test_util.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::optim_test;
using Catch::Contains;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

// Parameters of two shapes; float32, as in training.
std::vector<Tensor> make_params(uint64_t seed) {
  Generator gen(seed);
  return {randn({3, 4}, gen).requires_grad_(), randn({5}, gen).requires_grad_()};
}

std::vector<Tensor> clone_params(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.clone().requires_grad_());
  return out;
}

// Step `step` (from 0) of a fixed gradient sequence; parameter 1 gets none on steps 2 and 5.
void set_step_grads(std::vector<Tensor>& params, int step) {
  Generator gen(1000 + step);
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].zero_grad();
    if (i == 1 && (step == 2 || step == 5)) continue;
    params[i].backward(randn(params[i].shape(), gen));
  }
}

void run_steps(Optimizer& opt, std::vector<Tensor>& params, int from, int to) {
  for (int step = from; step < to; ++step) {
    opt.set_lr(0.01 / (1 + step));  // a changing lr is part of the state
    set_step_grads(params, step);
    opt.step();
  }
}

void check_round_trip(const MakeOptimizer& make) {
  // Uninterrupted: 8 steps.
  std::vector<Tensor> straight = make_params(5);
  std::unique_ptr<Optimizer> a = make(straight);
  run_steps(*a, straight, 0, 8);

  // Interrupted after 3 steps: save the weights (as a checkpoint would) and the optimizer state.
  std::vector<Tensor> first = make_params(5);
  std::unique_ptr<Optimizer> b = make(first);
  run_steps(*b, first, 0, 3);
  const OptimizerState saved = b->state();
  const std::vector<Tensor> saved_weights = clone_params(first);
  run_steps(*b, first, 3, 4);  // the saved state is a copy: this must not change it

  // Resume: fresh parameters and optimizer, the weights copied in, the state loaded.
  std::vector<Tensor> resumed = make_params(99);
  for (size_t i = 0; i < resumed.size(); ++i) raw::copy_(resumed[i], saved_weights[i]);
  std::unique_ptr<Optimizer> c = make(resumed);
  c->load_state(saved);
  CHECK(c->step_count() == 3);
  CHECK(c->lr() == 0.01 / 3);
  run_steps(*c, resumed, 3, 8);
  for (size_t i = 0; i < straight.size(); ++i) {
    CHECK(to_vector<float>(resumed[i]) == to_vector<float>(straight[i]));  // bit-exact
  }
  CHECK(c->state().tensors.at("param.1.step").item() == a->state().tensors.at("param.1.step").item());
}

}  // namespace

TEST_CASE("a restored SGD continues bit-exactly like an uninterrupted one", "[optim][state]") {
  check_round_trip([](std::vector<Tensor> p) {
    return std::make_unique<SGD>(std::move(p), SGDOptions{.momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  check_round_trip([](std::vector<Tensor> p) {
    return std::make_unique<SGD>(std::move(p), SGDOptions{.momentum = 0.5, .dampening = 0.3});
  });
  check_round_trip([](std::vector<Tensor> p) { return std::make_unique<SGD>(std::move(p)); });
}

TEST_CASE("a restored Adam or AdamW continues bit-exactly like an uninterrupted one", "[optim][state]") {
  check_round_trip([](std::vector<Tensor> p) {
    return std::make_unique<Adam>(std::move(p), AdamOptions{.beta2 = 0.98, .eps = 1e-9, .weight_decay = 0.1});
  });
  check_round_trip([](std::vector<Tensor> p) { return std::make_unique<AdamW>(std::move(p)); });
}

TEST_CASE("state() names each parameter's tensors and lists lr, step and the hyperparameters", "[optim][state]") {
  std::vector<Tensor> params = make_params(1);
  Adam opt(params, {.lr = 0.5, .beta1 = 0.8});
  OptimizerState s = opt.state();
  CHECK(s.optimizer == "Adam");
  CHECK(s.tensors.empty());  // nothing updated yet
  CHECK(s.scalars ==
        std::map<std::string, double>{
            {"lr", 0.5}, {"step", 0}, {"beta1", 0.8}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0}});
  set_step_grads(params, 2);  // parameter 1 gets no gradient
  opt.step();
  s = opt.state();
  std::vector<std::string> names;
  for (const auto& [name, t] : s.tensors) names.push_back(name);
  CHECK(names == std::vector<std::string>{"param.0.exp_avg", "param.0.exp_avg_sq", "param.0.step"});
  CHECK(s.tensors.at("param.0.exp_avg").shape() == Shape{3, 4});
  CHECK(s.tensors.at("param.0.exp_avg").dtype() == Dtype::float32);
  CHECK(s.tensors.at("param.0.step").dtype() == Dtype::int64);
  CHECK(s.scalars.at("step") == 1);

  SGD sgd(params, {.momentum = 0.9});
  CHECK(sgd.state().scalars ==
        std::map<std::string, double>{
            {"lr", 1e-3}, {"step", 0}, {"momentum", 0.9}, {"dampening", 0}, {"weight_decay", 0}, {"nesterov", 0}});
}

TEST_CASE("load_state validates the state and names what is wrong", "[optim][state][errors]") {
  std::vector<Tensor> params = make_params(1);
  Adam source(clone_params(params), {.lr = 0.1});
  std::vector<Tensor> source_params = source.parameters();
  set_step_grads(source_params, 0);
  source.step();
  const OptimizerState good = source.state();

  Adam opt(params, {.lr = 0.1});
  auto with = [&](const std::function<void(OptimizerState&)>& edit) {
    OptimizerState s = good;
    edit(s);
    return s;
  };
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.optimizer = "SGD"; })),
                      Contains("Adam.load_state: the state was saved by SGD, not Adam"));
  REQUIRE_THROWS_WITH(AdamW(params).load_state(good),
                      Contains("AdamW.load_state: the state was saved by Adam, not AdamW"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.scalars["beta2"] = 0.98; })),
                      Contains("Adam.load_state: beta2 is 0.999 in this optimizer but 0.98 in the saved state"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.scalars.erase("eps"); })),
                      Contains("Adam.load_state: the state has no scalar 'eps'"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.scalars["momentum"] = 0.9; })),
                      Contains("Adam.load_state: unknown scalar 'momentum' (not a hyperparameter of Adam)"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.scalars["lr"] = -1; })),
                      Contains("Adam.load_state: lr must be finite and >= 0, got -1"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.scalars["step"] = 2.5; })),
                      Contains("Adam.load_state: step must be a whole number >= 0, got 2.5"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) {
    s.tensors["param.0.exp_avg"] = zeros({4, 3});
  })),
                      Contains("Adam.load_state: 'param.0.exp_avg' has shape [4, 3] and dtype float32 but parameter 0 "
                               "has shape [3, 4] and dtype float32"));
  REQUIRE_THROWS_WITH(
      opt.load_state(with([](OptimizerState& s) { s.tensors["param.1.exp_avg_sq"] = zeros({5}, Dtype::float64); })),
      Contains("'param.1.exp_avg_sq' has shape [5] and dtype float64 but parameter 1 has shape [5] "
               "and dtype float32"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.tensors.erase("param.0.exp_avg_sq"); })),
                      Contains("Adam.load_state: the state has 'param.0.step' but no 'param.0.exp_avg_sq'"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) { s.tensors.erase("param.0.step"); })),
                      Contains("Adam.load_state: the state has tensors for parameter 0 but no 'param.0.step'"));
  REQUIRE_THROWS_WITH(
      opt.load_state(with([](OptimizerState& s) { s.tensors["param.7.step"] = scalar(1, Dtype::int64); })),
      Contains("Adam.load_state: tensor 'param.7.step' is for parameter 7 but the optimizer has 2 "
               "parameters"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) {
    s.tensors["param.0.momentum_buffer"] = zeros({3, 4});
  })),
                      Contains("Adam.load_state: unknown tensor 'param.0.momentum_buffer' (Adam keeps no "
                               "'momentum_buffer')"));
  REQUIRE_THROWS_WITH(opt.load_state(with([](OptimizerState& s) {
    s.tensors["exp_avg"] = zeros({3, 4});
  })),
                      Contains("Adam.load_state: unknown tensor 'exp_avg' (expected names like 'param.0.step')"));
  REQUIRE_THROWS_WITH(
      opt.load_state(with([](OptimizerState& s) { s.tensors["param.0.step"] = scalar(1.0, Dtype::float32); })),
      Contains("Adam.load_state: 'param.0.step' must be one int64, got shape [] and dtype float32"));
  REQUIRE_THROWS_WITH(
      opt.load_state(with([](OptimizerState& s) { s.tensors["param.0.step"] = scalar(0, Dtype::int64); })),
      Contains("Adam.load_state: 'param.0.step' must be >= 1, got 0"));

  // Nothing was changed by the failed loads; the good state loads.
  CHECK(opt.step_count() == 0);
  CHECK(opt.state().tensors.empty());
  opt.load_state(good);
  CHECK(opt.step_count() == 1);
  CHECK(opt.state().tensors.size() == 6);
}

TEST_CASE("a loaded state is a copy, not shared with the state object", "[optim][state]") {
  std::vector<Tensor> params = make_params(2);
  SGD a(params, {.momentum = 0.9});
  set_step_grads(params, 0);
  a.step();
  OptimizerState s = a.state();
  std::vector<Tensor> others = clone_params(params);
  SGD b(others, {.momentum = 0.9});
  b.load_state(s);
  raw::fill_(s.tensors.at("param.0.momentum_buffer"), 123.0);
  CHECK(to_vector<float>(b.state().tensors.at("param.0.momentum_buffer")) ==
        to_vector<float>(a.state().tensors.at("param.0.momentum_buffer")));
}
