// linear_test.cpp — the fused linear op: it agrees with the composed matmul + add it replaces
// (values and every gradient, on shapes large enough to run in parallel), it and matmul hand
// parameters their gradients in their own layout, and it names the shapes when they do not fit.
// Its float64 gradcheck is in gradcheck_table_test.cpp; PyTorch parity (F.linear) in
// parity/autograd_parity.py.
#include <catch2/catch.hpp>

#include "autograd/node.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

using namespace qkv;
using Catch::Contains;

namespace {

// The largest |a - b| over all elements.
double max_difference(const Tensor& a, const Tensor& b) {
  return raw::max(raw::abs(raw::sub(a.detach(), b.detach()))).item();
}

}  // namespace

TEST_CASE("linear: agrees with matmul + add in value and every gradient", "[autograd][linear]") {
  Generator gen(7);
  // 3·100 rows, 70 in, 130 out: the product is split across threads and the bias gradient
  // spans several column blocks.
  for (const bool with_bias : {true, false}) {
    Tensor x = randn({3, 100, 70}, gen).requires_grad_();
    Tensor w = randn({130, 70}, gen).requires_grad_();
    Tensor b = randn({130}, gen).requires_grad_();
    const Tensor dy = randn({3, 100, 130}, gen);

    const Tensor fused = linear(x, w, with_bias ? b : Tensor());
    sum(mul(fused, dy)).backward();
    const Tensor dx = x.grad().clone(), dw = w.grad().clone();
    const Tensor db = with_bias ? b.grad().clone() : Tensor();
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();

    Tensor composed = matmul(x, transpose(w, 0, 1));
    if (with_bias) composed = composed + b;
    sum(mul(composed, dy)).backward();

    CHECK(max_difference(fused, composed) < 1e-4);
    CHECK(max_difference(dx, x.grad()) < 1e-4);
    CHECK(max_difference(dw, w.grad()) < 1e-3);
    if (with_bias) CHECK(max_difference(db, b.grad()) < 1e-3);
  }
}

// The gradients an op's backward returns, for an output gradient of ones.
Grads backward_of(const Tensor& y) { return y.autograd_meta()->grad_fn->apply(ones(y.shape())); }

TEST_CASE("linear and matmul: a weight used transposed gets its gradient without a copy", "[autograd][linear]") {
  Generator gen(3);
  Tensor x = randn({4, 5}, gen).requires_grad_();
  Tensor w = randn({6, 5}, gen).requires_grad_();
  // linear's dW comes out in W's own (6, 5) layout.
  const Grads from_linear = backward_of(linear(x, w));
  CHECK(from_linear[1].shape() == Shape{6, 5});
  CHECK(from_linear[1].is_contiguous());
  // matmul with Wᵀ: the gradient of the (5, 6) operand is itself a transposed view, so the
  // transpose's backward turns it into a contiguous (6, 5) gradient without copying.
  const Grads from_matmul = backward_of(matmul(x, transpose(w, 0, 1)));
  CHECK(from_matmul[1].shape() == Shape{5, 6});
  CHECK_FALSE(from_matmul[1].is_contiguous());
  CHECK(transpose(from_matmul[1], 0, 1).is_contiguous());
  // An operand in plain layout keeps a plain gradient.
  Tensor v = randn({5, 6}, gen).requires_grad_();
  CHECK(backward_of(matmul(x, v))[1].is_contiguous());
}

TEST_CASE("linear: names the op and the shapes when they do not fit", "[autograd][linear][errors]") {
  Generator gen(1);
  const Tensor x = randn({2, 3}, gen);
  REQUIRE_THROWS_WITH(linear(x, randn({4, 5}, gen)),
                      Contains("linear: input [2, 3] must end in the weight's in_features 5 (weight [4, 5])"));
  REQUIRE_THROWS_WITH(linear(x, randn({3}, gen)),
                      Contains("linear: weight must be (out_features, in_features), got [3]"));
  REQUIRE_THROWS_WITH(linear(x, randn({4, 3}, gen), randn({5}, gen)),
                      Contains("linear: bias must be (4) for weight [4, 3], got [5]"));
  REQUIRE_THROWS_WITH(linear(x, randn({4, 3}, gen, Dtype::float64)),
                      Contains("linear: input (float32), weight (float64) and bias (none) must share a dtype"));
}
