// optimizer_test.cpp — what all optimizers share: the checks on the parameter list and on
// gradients at step() time, zero_grad, and that step() records nothing and bumps versions.
#include <catch2/catch.hpp>

#include "autograd/node.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "optim_test_util.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::optim_test;
using Catch::Contains;

TEST_CASE("optimizers check the parameter list", "[optim][errors]") {
  REQUIRE_THROWS_WITH(SGD({}), Contains("SGD: got an empty list of parameters"));
  REQUIRE_THROWS_WITH(Adam({Tensor()}), Contains("Adam: parameter 0 is undefined"));
  Tensor ok = param64({1, 2, 3, 4});
  REQUIRE_THROWS_WITH(SGD({ok, arange(3, Dtype::int64)}),
                      Contains("SGD: parameter 1 must be float32 or float64, got int64"));
  Tensor matrix = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE_THROWS_WITH(AdamW({raw::transpose(matrix, 0, 1)}),
                      Contains("AdamW: parameter 0 (shape [3, 2], strides [1, 3]) must be contiguous"));
  Tensor computed = ok * 2.0;
  REQUIRE_THROWS_WITH(SGD({computed}), Contains("SGD: parameter 0 was computed by an op (it is not a leaf)"));
  REQUIRE_THROWS_WITH(Adam({ok, param64({1}), ok}), Contains("Adam: parameters 0 and 2 overlap in memory"));
  // Disjoint slices of one buffer (a flat parameter store) are fine; overlapping ones are not.
  Tensor flat = zeros({10}, Dtype::float64);
  Tensor first = raw::slice(flat, 0, 0, 4), second = raw::slice(flat, 0, 4, 10);
  CHECK_NOTHROW(SGD({first, second}));
  REQUIRE_THROWS_WITH(SGD({first, raw::slice(flat, 0, 3, 5)}), Contains("SGD: parameters 0 and 1 overlap in memory"));
}

TEST_CASE("step() checks every gradient before updating anything", "[optim][errors]") {
  Tensor a = param64({1.0});
  Tensor b = param64({1.0, 2.0});
  SGD opt({a, b}, {.lr = 0.1});
  set_grad(a, {1.0});
  b.autograd_meta()->grad = zeros({3}, Dtype::float64);  // a gradient of the wrong shape
  REQUIRE_THROWS_WITH(opt.step(), Contains("SGD.step: parameter 1 has shape [2] and dtype float64 but its "
                                           "gradient has shape [3] and dtype float64"));
  CHECK(values(a)[0] == 1.0);  // untouched
  CHECK(opt.step_count() == 0);
  b.autograd_meta()->grad = zeros({2}, Dtype::float32);
  REQUIRE_THROWS_WITH(opt.step(), Contains("gradient has shape [2] and dtype float32"));
}

TEST_CASE("step() accepts a non-contiguous gradient", "[optim]") {
  Tensor p = from_vector(std::vector<double>{0, 0, 0, 0, 0, 0}, {2, 3}).requires_grad_();
  SGD opt({p}, {.lr = 1.0});
  Tensor g = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2});
  p.autograd_meta()->grad = raw::transpose(g, 0, 1);  // [[1, 3, 5], [2, 4, 6]]
  opt.step();
  CHECK(values(p) == std::vector<double>{-1, -3, -5, -2, -4, -6});
}

TEST_CASE("step() records nothing and bumps the parameter's version", "[optim]") {
  Tensor p = param64({1.0, 2.0});
  Adam opt({p});
  set_grad(p, {1.0, 1.0});
  const uint64_t before = p.storage()->version();
  opt.step();
  CHECK(p.storage()->version() > before);
  CHECK(p.requires_grad());
  CHECK_FALSE(p.autograd_meta()->grad_fn);
  // A graph that saved p before the step notices the in-place update at backward time.
  Tensor y = sum(p * p);
  set_grad(p, {1.0, 1.0});
  opt.step();
  REQUIRE_THROWS_WITH(y.backward(), Contains("modified in place"));
}

TEST_CASE("zero_grad forgets every parameter's gradient", "[optim]") {
  Tensor a = param64({1.0});
  Tensor b = param64({2.0});
  SGD opt({a, b});
  set_grad(a, {1.0});
  set_grad(b, {1.0});
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
  opt.step();  // nothing to do
  CHECK(values(a)[0] == 1.0);
  CHECK(opt.step_count() == 1);
}

TEST_CASE("updates split across threads give the same result as one thread", "[optim]") {
  auto run = [](int threads) {
    const int saved = num_threads();
    set_num_threads(threads);
    Generator gen(5);
    Tensor p = randn({300001}, gen).requires_grad_();  // several grain::kOptimizerUpdate chunks
    Tensor q = randn({300001}, gen, Dtype::float64).requires_grad_();
    Adam adam({p}, {.weight_decay = 0.1});
    SGD sgd({q}, {.momentum = 0.9, .nesterov = true});
    for (int i = 0; i < 3; ++i) {
      p.zero_grad();
      q.zero_grad();
      p.backward(randn({300001}, gen));
      q.backward(randn({300001}, gen, Dtype::float64));
      adam.step();
      sgd.step();
    }
    set_num_threads(saved);
    return std::make_pair(to_vector<float>(p), to_vector<double>(q));
  };
  CHECK(run(1) == run(2));
}
