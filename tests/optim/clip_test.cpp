// clip_test.cpp — clip_grad_norm_: the global norm, scaling only above max_norm, skipped
// parameters, non-finite norms (error or returned), and independence from the thread count.
#include <catch2/catch.hpp>

#include <cmath>

#include "optim/clip.h"
#include "optim_test_util.h"

using namespace qkv;
using namespace qkv::optim_test;
using Catch::Contains;

TEST_CASE("clip_grad_norm_ scales all gradients by max_norm/(norm + 1e-6) above max_norm", "[optim][clip]") {
  Tensor a = param64({0, 0});
  Tensor b = param64({0});
  set_grad(a, {3.0, 4.0});
  set_grad(b, {12.0});
  const double norm = clip_grad_norm_({a, b}, 1.0);
  CHECK(norm == 13.0);  // √(9 + 16 + 144)
  const double c = 1.0 / (13.0 + 1e-6);
  CHECK(values(a.grad())[0] == Approx(3 * c).epsilon(1e-15));
  CHECK(values(a.grad())[1] == Approx(4 * c).epsilon(1e-15));
  CHECK(values(b.grad())[0] == Approx(12 * c).epsilon(1e-15));
  CHECK(grad_norm({a, b}) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("clip_grad_norm_ leaves gradients below max_norm alone", "[optim][clip]") {
  Tensor a = from_vector(std::vector<float>{3, 4}).requires_grad_();
  set_grad(a, {3.0, 4.0});
  CHECK(clip_grad_norm_({a}, 5.0) == 5.0);  // coefficient 5/(5 + 1e-6) < 1: a tiny scale, as torch
  CHECK(to_vector<float>(a.grad())[0] == Approx(3.0f).epsilon(1e-6));
  CHECK(clip_grad_norm_({a}, 100.0) == Approx(5.0).epsilon(1e-6));
  const std::vector<float> g = to_vector<float>(a.grad());
  CHECK(clip_grad_norm_({a}, 100.0) == Approx(5.0).epsilon(1e-6));
  CHECK(to_vector<float>(a.grad()) == g);  // unchanged
}

TEST_CASE("clip_grad_norm_ skips parameters without gradients", "[optim][clip]") {
  Tensor a = param64({1.0});
  Tensor b = param64({1.0});
  CHECK(clip_grad_norm_({a, b}, 1.0) == 0.0);
  set_grad(b, {-2.0});
  CHECK(clip_grad_norm_({a, b}, 10.0) == 2.0);
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("a non-finite gradient norm throws by default, naming the parameter", "[optim][clip][errors]") {
  Tensor a = param64({1.0});
  Tensor b = param64({1.0, 2.0});
  set_grad(a, {1.0});
  set_grad(b, {1.0, NAN});
  REQUIRE_THROWS_WITH(clip_grad_norm_({a, b}, 1.0),
                      Contains("clip_grad_norm_: the gradient norm is nan because the gradient of parameter 1 "
                               "(shape [2]) is not finite"));
  CHECK(values(a.grad())[0] == 1.0);  // unchanged
  set_grad(b, {1.0, INFINITY});
  REQUIRE_THROWS_WITH(clip_grad_norm_({a, b}, 1.0), Contains("the gradient norm is inf"));
}

TEST_CASE("with error_if_nonfinite = false the non-finite norm is returned and nothing scaled", "[optim][clip]") {
  Tensor a = param64({1.0});
  Tensor b = param64({1.0, 2.0});
  set_grad(a, {100.0});
  set_grad(b, {INFINITY, 1.0});
  CHECK(std::isinf(clip_grad_norm_({a, b}, 1.0, /*error_if_nonfinite=*/false)));
  CHECK(values(a.grad())[0] == 100.0);
  set_grad(b, {NAN, 1.0});
  CHECK(std::isnan(clip_grad_norm_({a, b}, 1.0, false)));
  CHECK(values(a.grad())[0] == 100.0);
}

TEST_CASE("clip_grad_norm_ checks max_norm", "[optim][clip][errors]") {
  Tensor a = param64({1.0});
  REQUIRE_THROWS_WITH(clip_grad_norm_({a}, 0.0), Contains("clip_grad_norm_: max_norm must be finite and > 0, got 0"));
  REQUIRE_THROWS_WITH(clip_grad_norm_({a}, -1.0), Contains("got -1"));
}

TEST_CASE("the gradient norm does not depend on the number of threads", "[optim][clip]") {
  Generator gen(11);
  Tensor a = randn({300001}, gen).requires_grad_();
  a.backward(randn({300001}, gen));
  const int threads = num_threads();
  set_num_threads(1);
  const double serial = grad_norm({a});
  set_num_threads(2);
  const double parallel = grad_norm({a});
  set_num_threads(threads);
  CHECK(serial == parallel);
  double naive = 0;
  for (float g : to_vector<float>(a.grad())) naive += static_cast<double>(g) * g;
  CHECK(serial == Approx(std::sqrt(naive)).epsilon(1e-12));
}
