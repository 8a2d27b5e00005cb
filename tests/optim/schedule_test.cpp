// schedule_test.cpp — learning-rate schedules: values at known steps and argument errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "optim/schedule.h"
#include "optim/sgd.h"
#include "optim_test_util.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("constant_lr is constant", "[optim][schedule]") {
  const Schedule s = constant_lr(3e-4);
  CHECK(s(0) == 3e-4);
  CHECK(s(1000000) == 3e-4);
}

TEST_CASE("inverse_sqrt_lr is the Transformer paper's schedule, counting steps from 1", "[optim][schedule]") {
  const Schedule s = inverse_sqrt_lr(512, 4000);
  // n = step + 1; lr = 512^-0.5 · min(n^-0.5, n · 4000^-1.5)
  CHECK(s(0) == Approx(std::pow(512.0, -0.5) * std::pow(4000.0, -1.5)).epsilon(1e-14));
  CHECK(s(1999) == Approx(std::pow(512.0, -0.5) * 2000 * std::pow(4000.0, -1.5)).epsilon(1e-14));
  CHECK(s(3999) == Approx(1 / std::sqrt(512.0 * 4000.0)).epsilon(1e-14));  // the peak, 6.99e-4
  CHECK(s(3999) == Approx(6.987712429686844e-4).epsilon(1e-12));
  CHECK(s(15999) == Approx(1 / std::sqrt(512.0 * 16000.0)).epsilon(1e-14));  // half the peak
  CHECK(s(3998) < s(3999));
  CHECK(s(4000) < s(3999));
  CHECK(inverse_sqrt_lr(512, 4000, 2.0)(123) == Approx(2 * s(123)).epsilon(1e-15));
}

TEST_CASE("warmup_inverse_sqrt_lr peaks at peak_lr after warmup_steps updates", "[optim][schedule]") {
  const Schedule s = warmup_inverse_sqrt_lr(1e-3, 100);
  CHECK(s(0) == Approx(1e-5).epsilon(1e-14));
  CHECK(s(49) == Approx(5e-4).epsilon(1e-14));
  CHECK(s(99) == Approx(1e-3).epsilon(1e-14));
  CHECK(s(399) == Approx(5e-4).epsilon(1e-14));  // √(100/400) = 1/2
  // The same curve as inverse_sqrt_lr with the matching factor.
  const Schedule paper = inverse_sqrt_lr(64, 100, 1e-3 * std::sqrt(64.0 * 100.0));
  for (int64_t step : {0, 7, 99, 100, 250, 10000}) CHECK(s(step) == Approx(paper(step)).epsilon(1e-13));
}

TEST_CASE("cosine_lr falls from peak to min and holds there", "[optim][schedule]") {
  const Schedule s = cosine_lr(1.0, 100, 0, 0.1);
  CHECK(s(0) == Approx(1.0).epsilon(1e-15));
  CHECK(s(50) == Approx(0.55).epsilon(1e-14));
  CHECK(s(25) == Approx(0.1 + 0.9 * (1 + std::cos(std::numbers::pi / 4)) / 2).epsilon(1e-14));
  CHECK(s(100) == Approx(0.1).epsilon(1e-14));
  CHECK(s(150) == Approx(0.1).epsilon(1e-14));
}

TEST_CASE("cosine_lr with warmup rises linearly first", "[optim][schedule]") {
  const Schedule s = cosine_lr(1.0, 110, 10, 0.1);
  CHECK(s(0) == Approx(0.1).epsilon(1e-15));
  CHECK(s(4) == Approx(0.5).epsilon(1e-15));
  CHECK(s(9) == 1.0);
  CHECK(s(10) == Approx(1.0).epsilon(1e-15));
  CHECK(s(60) == Approx(0.55).epsilon(1e-14));
  CHECK(s(110) == Approx(0.1).epsilon(1e-14));
  CHECK(s(1000) == Approx(0.1).epsilon(1e-14));
}

TEST_CASE("step_lr multiplies by gamma every step_size steps", "[optim][schedule]") {
  const Schedule s = step_lr(0.1, 30, 0.5);
  CHECK(s(0) == 0.1);
  CHECK(s(29) == 0.1);
  CHECK(s(30) == 0.05);
  CHECK(s(89) == 0.025);
  CHECK(s(90) == 0.0125);
  CHECK(step_lr(1.0, 10)(10) == Approx(0.1));  // default gamma 0.1
}

TEST_CASE("a schedule drives an optimizer through set_lr", "[optim][schedule]") {
  Tensor p = optim_test::param64({0.0});
  SGD opt({p}, {.lr = 0});
  const Schedule s = step_lr(1.0, 2, 0.5);
  for (int i = 0; i < 4; ++i) {
    opt.set_lr(s(opt.step_count()));
    optim_test::set_grad(p, {-1.0});
    opt.step();
  }
  CHECK(optim_test::values(p)[0] == 1.0 + 1.0 + 0.5 + 0.5);
  CHECK(opt.lr() == 0.5);
}

TEST_CASE("schedules check their arguments and the step", "[optim][schedule][errors]") {
  REQUIRE_THROWS_WITH(constant_lr(-1), Contains("constant_lr: lr must be finite and >= 0, got -1"));
  REQUIRE_THROWS_WITH(constant_lr(1)(-1), Contains("constant_lr: step must be >= 0"));
  REQUIRE_THROWS_WITH(inverse_sqrt_lr(0, 10), Contains("inverse_sqrt_lr: d_model must be > 0, got 0"));
  REQUIRE_THROWS_WITH(inverse_sqrt_lr(512, 0), Contains("inverse_sqrt_lr: warmup_steps must be > 0, got 0"));
  REQUIRE_THROWS_WITH(inverse_sqrt_lr(512, 10)(-3),
                      Contains("inverse_sqrt_lr: step must be >= 0 (the number of updates taken), got -3"));
  REQUIRE_THROWS_WITH(warmup_inverse_sqrt_lr(-1e-3, 10),
                      Contains("warmup_inverse_sqrt_lr: peak_lr must be finite and >= 0, got -0.001"));
  REQUIRE_THROWS_WITH(cosine_lr(1.0, 10, 10),
                      Contains("cosine_lr: total_steps (10) must be greater than warmup_steps (10)"));
  REQUIRE_THROWS_WITH(cosine_lr(1.0, 10, -1), Contains("cosine_lr: warmup_steps must be >= 0, got -1"));
  REQUIRE_THROWS_WITH(cosine_lr(0.1, 10, 0, 0.5), Contains("cosine_lr: min_lr (0.5) must not exceed peak_lr (0.1)"));
  REQUIRE_THROWS_WITH(step_lr(0.1, 0), Contains("step_lr: step_size must be > 0, got 0"));
  REQUIRE_THROWS_WITH(step_lr(0.1, 5, -2), Contains("step_lr: gamma must be finite and >= 0, got -2"));
}
