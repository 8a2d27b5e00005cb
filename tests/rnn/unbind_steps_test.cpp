// unbind_steps_test.cpp — slices that share one gradient buffer: values, gradcheck, steps
// without a gradient, and a retained graph run backward twice.
#include <catch2/catch.hpp>

#include "nn/rnn/unbind_steps.h"
#include "qkv.h"
#include "rnn/rnn_test_util.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace rnn_test;

TEST_CASE("unbind_steps gives the selects along the dimension", "[rnn][unbind_steps]") {
  Generator gen(21);
  const Tensor x = randn({2, 3, 4}, gen, Dtype::float64).requires_grad_();
  for (int64_t dim : {0, 1, -1}) {
    const std::vector<Tensor> steps = unbind_steps(x, dim);
    const int64_t d = dim < 0 ? dim + 3 : dim;
    REQUIRE(static_cast<int64_t>(steps.size()) == x.size(d));
    for (size_t i = 0; i < steps.size(); ++i) {
      CHECK(steps[i].requires_grad());
      require_close(steps[i], raw::select(x, d, static_cast<int64_t>(i)), 0);
    }
  }
  CHECK_FALSE(unbind_steps(x.detach(), 1)[0].requires_grad());
}

TEST_CASE("unbind_steps passes gradcheck when the slices are used unevenly", "[rnn][unbind_steps][gradcheck]") {
  Generator gen(22);
  Tensor x = randn({2, 4, 3}, gen, Dtype::float64).requires_grad_();
  gradcheck("unbind_steps",
            [](const std::vector<Tensor>& in) {
              const std::vector<Tensor> s = unbind_steps(in[0], 1);  // 4 × (2, 3)
              // Slice 2 is unused, slice 0 used twice, the rest mixed nonlinearly.
              return stack({tanh(s[0]) * s[3], s[1] + s[0] * 2.0, s[3] * s[3]}, 0);
            },
            {x});
}

TEST_CASE("unbind_steps gives zero gradient to unused slices and survives a second backward", "[rnn][unbind_steps]") {
  Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, Shape{3, 2}).requires_grad_();
  const std::vector<Tensor> s = unbind_steps(x, 0);
  const Tensor loss = sum(s[0] * 3.0 + s[2] * s[2]);
  loss.backward(/*retain_graph=*/true);
  CHECK(to_vector<double>(x.grad()) == std::vector<double>{3, 3, 0, 0, 10, 12});
  loss.backward();  // the buffer was handed on and forgotten: gradients accumulate exactly twice
  CHECK(to_vector<double>(x.grad()) == std::vector<double>{6, 6, 0, 0, 20, 24});
}
