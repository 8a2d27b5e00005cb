// engine_test.cpp — the backward engine: path summing, broadcasting, long graphs, freeing,
// in-place detection, no-grad, anomaly mode, DOT output, and error messages.
#include <catch2/catch.hpp>

#include "autograd/record.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using Catch::Contains;

namespace {
Tensor scalar64(double v) { return scalar(v, Dtype::float64).requires_grad_(); }
double grad_of(const Tensor& t) { return t.grad().item(); }
}  // namespace

TEST_CASE("backward through a scalar expression matches hand derivatives", "[autograd]") {
  // The micrograd example: c = a + b; d = a·b + b³; e = c - d; f = e²; g = f/2 + 10/f.
  Tensor a = scalar64(-4.0);
  Tensor b = scalar64(2.0);
  Tensor c = a + b;
  Tensor d = a * b + pow(b, 3.0);
  c = c + c + 1.0;
  c = c + 1.0 + c + (-a);
  d = d + d * 2.0 + relu(b + a);
  d = d + 3.0 * d + relu(b - a);
  Tensor e = c - d;
  Tensor f = pow(e, 2.0);
  Tensor g = f / 2.0;
  g = g + 10.0 / f;
  g.backward();
  // Values and gradients as printed by micrograd's README (checked against PyTorch there).
  CHECK(g.item() == Approx(24.7041).epsilon(1e-4));
  CHECK(grad_of(a) == Approx(138.8338).epsilon(1e-4));
  CHECK(grad_of(b) == Approx(645.5773).epsilon(1e-4));
}

TEST_CASE("a value used twice receives the sum of both paths", "[autograd]") {
  Tensor x = scalar64(3.0);
  Tensor y = x * x + x;  // dy/dx = 2x + 1
  y.backward();
  CHECK(grad_of(x) == 7.0);
}

TEST_CASE("broadcast gradients are reduced to the input's shape", "[autograd]") {
  Generator gen(1);
  Tensor a = randn({3, 4}, gen, Dtype::float64).requires_grad_();
  Tensor bias = randn({4}, gen, Dtype::float64).requires_grad_();
  Tensor col = randn({3, 1}, gen, Dtype::float64).requires_grad_();
  sum(a + bias + col).backward();
  REQUIRE(bias.grad().shape() == Shape{4});
  REQUIRE(col.grad().shape() == Shape{3, 1});
  CHECK(to_vector<double>(bias.grad()) == std::vector<double>(4, 3.0));
  CHECK(to_vector<double>(col.grad()) == std::vector<double>(3, 4.0));
}

TEST_CASE("leaves never share gradient memory even when gradients are kept without copies", "[autograd]") {
  Generator gen(2);
  Tensor a = randn({3, 4}, gen, Dtype::float64).requires_grad_();
  Tensor b = randn({3, 4}, gen, Dtype::float64).requires_grad_();
  Tensor c = randn({3, 4}, gen, Dtype::float64).requires_grad_();
  // add hands the same gradient tensor to a and b; c's path sums two gradients in place.
  Tensor h = c * 2.0;
  sum((a + b) * 3.0 + h + h).backward();
  REQUIRE(a.grad().storage() != b.grad().storage());
  raw::add_(a.grad(), ones({3, 4}, Dtype::float64));  // changing one leaves the other alone
  CHECK(to_vector<double>(a.grad()) == std::vector<double>(12, 4.0));
  CHECK(to_vector<double>(b.grad()) == std::vector<double>(12, 3.0));
  CHECK(to_vector<double>(c.grad()) == std::vector<double>(12, 4.0));
  // A gradient given by the caller is copied, never kept: the caller still owns it.
  Tensor leaf = randn({2}, gen, Dtype::float64).requires_grad_();
  Tensor given = ones({2}, Dtype::float64);
  leaf.backward(given);
  CHECK(leaf.grad().storage() != given.storage());
}

TEST_CASE("gradients accumulate across backward calls until zero_grad", "[autograd]") {
  Tensor x = scalar64(2.0);
  (x * 3.0).backward();
  (x * 3.0).backward();
  CHECK(grad_of(x) == 6.0);
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a 100000-op chain backpropagates without recursion", "[autograd]") {
  Tensor x = scalar64(1.0);
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 1.0;
  y.backward();
  CHECK(grad_of(x) == 1.0);
}

TEST_CASE("backward frees the graph unless retained", "[autograd]") {
  Tensor x = scalar64(2.0);
  Tensor y = exp(x) * x;
  y.backward(/*retain_graph=*/true);
  y.backward();
  CHECK(grad_of(x) == Approx(2 * 3 * std::exp(2.0)));
  REQUIRE_THROWS_WITH(y.backward(), Contains("second time") && Contains("retain_graph=true"));
}

TEST_CASE("after backward no node or saved tensor stays alive", "[autograd][memory]") {
  const int64_t nodes_before = Node::live_count();
  const int64_t saved_before = SavedTensor::live_count();
  Generator gen(2);
  Tensor w = randn({4, 3}, gen, Dtype::float64).requires_grad_();
  Tensor x = randn({5, 4}, gen, Dtype::float64);
  {
    Tensor hidden = tanh(matmul(x, w));               // saves x and the tanh output
    Tensor loss = sum(softmax(hidden, -1) * hidden);  // hidden used twice
    CHECK(Node::live_count() > nodes_before);
    CHECK(SavedTensor::live_count() > saved_before);
    loss.backward();
    // The graph's saved tensors are freed by backward even while `loss` is alive...
    CHECK(SavedTensor::live_count() == saved_before);
  }
  // ...and once the user's handles are gone, no node is left either.
  CHECK(Node::live_count() == nodes_before);
  CHECK(w.grad().defined());
}

TEST_CASE("an in-place write to a tensor saved for backward is reported", "[autograd]") {
  Tensor x = full({3}, 2.0, Dtype::float64).requires_grad_();
  Tensor y = exp(x);  // saves its output y
  Tensor loss = sum(y);
  raw::fill_(y, 0.0);  // y's storage changes after it was saved
  REQUIRE_THROWS_WITH(loss.backward(), Contains("backward of exp") && Contains("modified in place"));
}

TEST_CASE("NoGradGuard records nothing and detach cuts the graph", "[autograd]") {
  Tensor x = scalar64(1.0);
  {
    NoGradGuard guard;
    CHECK_FALSE((x * 2.0).requires_grad());
  }
  CHECK((x * 2.0).requires_grad());
  CHECK_FALSE((x * 2.0).detach().requires_grad());
}

TEST_CASE("anomaly mode names the first op that produces NaN", "[autograd]") {
  Tensor x = full({2}, -1.0, Dtype::float64).requires_grad_();
  CHECK_NOTHROW(log(x));  // NaN, but anomaly mode is off
  AnomalyGuard guard;
  REQUIRE_THROWS_WITH(log(x), Contains("anomaly: log produced NaN in its forward output"));
  Tensor z = zeros({2}, Dtype::float64).requires_grad_();
  Tensor s = sqrt(z);  // forward is finite (0), backward divides by 0
  REQUIRE_THROWS_WITH(sum(s).backward(), Contains("anomaly: sqrt produced Inf in its backward"));
}

TEST_CASE("to_dot shows ops with shapes and named leaves", "[autograd]") {
  Generator gen(3);
  Tensor w = randn({3, 2}, gen).requires_grad_();
  Tensor x = randn({4, 3}, gen);
  Tensor loss = mean(tanh(matmul(x, w)));
  const std::string dot = to_dot(loss, {{&w, "w"}});
  CHECK_THAT(dot, Contains("digraph") && Contains("matmul\\n[4, 2]") && Contains("tanh") && Contains("mean\\n[]"));
  CHECK_THAT(dot, Contains("w [3, 2]"));
}

TEST_CASE("autograd errors explain themselves", "[autograd]") {
  Tensor ids = arange(3, Dtype::int64);
  REQUIRE_THROWS_WITH(ids.requires_grad_(), Contains("only floating-point tensors can require grad, got int64"));
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = x * 2.0;
  REQUIRE_THROWS_WITH(y.backward(), Contains("must have one element, got shape [2, 3]"));
  REQUIRE_THROWS_WITH(y.backward(ones({3})), Contains("gradient of shape [3]") && Contains("output of shape [2, 3]"));
  REQUIRE_THROWS_WITH(scalar(1.0).backward(), Contains("does not require grad"));
  REQUIRE_THROWS_WITH(y.requires_grad_(false), Contains("computed by 'mul_scalar'"));
}

TEST_CASE("gradcheck catches a wrong backward", "[autograd][gradcheck]") {
  // A deliberately wrong op: y = x² with backward dx = dy·x (missing the factor 2).
  auto wrong_square = [](const std::vector<Tensor>& in) {
    Tensor y = raw::mul(in[0], in[0]);
    constexpr OpName op = OpName::unlisted("wrong_square");  // a test's op, not a library one
    record(op, y, {in[0]}, [sx = save(op, in[0])](const Tensor& dy) -> Grads { return {raw::mul(dy, sx.get())}; });
    return y;
  };
  Generator gen(4);
  Tensor x = randn({3}, gen, Dtype::float64).requires_grad_();
  REQUIRE_THROWS_WITH(
      gradcheck("wrong_square", wrong_square, {x}),
      Contains("gradcheck of wrong_square: input 0 (shape [3])") && Contains("finite differences give"));
  auto right_square = [](const std::vector<Tensor>& in) { return in[0] * in[0]; };
  CHECK_NOTHROW(gradcheck("square", right_square, {x}));
  Tensor x32 = randn({3}, gen).requires_grad_();
  REQUIRE_THROWS_WITH(gradcheck("square", right_square, {x32}), Contains("need float64"));
}
