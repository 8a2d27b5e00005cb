// linear_cross_entropy_test.cpp — the fused output layer and loss against linear then
// cross_entropy (values and every gradient, float64 and float32, many chunks and one), its
// edge cases and its errors. Its gradcheck is a row of tests/autograd/gradcheck_fused_table_test.cpp;
// PyTorch parity is in tests/parity/nn_parity.py.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/functional.h"
#include "qkv.h"

using namespace qkv;
using Catch::Contains;

namespace {

struct Problem {
  Tensor x, w, b, targets;
};

// x (3, 37, 16), weight (300, 16), bias (300); every seventh target ignored (-100).
Problem make_problem(Dtype dtype, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> t(3 * 37);
  for (size_t i = 0; i < t.size(); ++i) t[i] = i % 7 == 3 ? -100 : static_cast<int64_t>(gen.below(300));
  return {randn({3, 37, 16}, gen, dtype).requires_grad_(), randn({300, 16}, gen, dtype, 0, 0.3).requires_grad_(),
          randn({300}, gen, dtype).requires_grad_(), from_vector(t, Shape{3, 37})};
}

double max_relative_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto x = to_vector<double>(a), y = to_vector<double>(b);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]) / std::max(1.0, std::abs(y[i])));
  return m;
}

// Loss and the gradients of x, w and b, with the loss scaled by `dloss` before backward.
std::vector<Tensor> loss_and_grads(const Problem& p, bool fused, const CrossEntropyOptions& o, int64_t chunk_rows,
                                   double dloss = 1.0) {
  for (Tensor t : {p.x, p.w, p.b}) t.zero_grad();
  const Tensor loss = fused ? linear_cross_entropy(p.x, p.w, p.b, p.targets, o, chunk_rows)
                            : cross_entropy(linear(p.x, p.w, p.b), p.targets, o);
  (loss * dloss).backward();
  return {contiguous(loss), p.x.grad(), p.w.grad(), p.b.grad()};
}

}  // namespace

TEST_CASE("linear_cross_entropy equals linear then cross_entropy, values and gradients", "[nn]") {
  for (Dtype dtype : {Dtype::float64, Dtype::float32}) {
    // float64 agrees to rounding; float32 to its own rounding of sums over 300 classes and 111 rows.
    const double tolerance = dtype == Dtype::float64 ? 1e-12 : 2e-5;
    for (Reduction reduction : {Reduction::mean, Reduction::sum}) {
      for (double smoothing : {0.0, 0.1}) {
        for (int64_t chunk : {int64_t{0}, int64_t{1}, int64_t{25}, int64_t{111}, int64_t{500}}) {
          INFO("dtype " << dtype_name(dtype) << " reduction " << static_cast<int>(reduction) << " smoothing "
                        << smoothing << " chunk_rows " << chunk);
          const Problem p = make_problem(dtype, 5);
          const CrossEntropyOptions o{-100, smoothing, reduction};
          const auto want = loss_and_grads(p, false, o, 0);
          const auto got = loss_and_grads(p, true, o, chunk);
          for (size_t i = 0; i < want.size(); ++i) CHECK(max_relative_diff(got[i], want[i]) < tolerance);
        }
      }
    }
  }
}

TEST_CASE("linear_cross_entropy's gradients scale with dloss and follow grad mode", "[nn]") {
  const Problem p = make_problem(Dtype::float64, 6);
  const CrossEntropyOptions o{-100, 0.1, Reduction::mean};
  const auto once = loss_and_grads(p, true, o, 10);
  const auto scaled = loss_and_grads(p, true, o, 10, -2.5);
  for (size_t i = 1; i < once.size(); ++i) CHECK(max_relative_diff(scaled[i], once[i] * -2.5) < 1e-12);

  NoGradGuard no_grad;
  const Tensor value = linear_cross_entropy(p.x, p.w, p.b, p.targets, o, 10);
  CHECK_FALSE(value.requires_grad());
  CHECK(value.item() == Approx(once[0].item()).epsilon(1e-14));
}

TEST_CASE("linear_cross_entropy without a bias, with a weight view, and with every row ignored", "[nn]") {
  const Problem p = make_problem(Dtype::float64, 7);
  const CrossEntropyOptions o{-100, 0.0, Reduction::mean};
  // No bias.
  const Tensor fused = linear_cross_entropy(p.x, p.w, Tensor(), p.targets, o, 7);
  const Tensor plain = cross_entropy(linear(p.x, p.w), p.targets, o);
  CHECK(fused.item() == Approx(plain.item()).epsilon(1e-12));
  // A weight whose rows are not contiguous: the transpose of a (16, 300) matrix.
  Generator gen(8);
  const Tensor wt = randn({16, 300}, gen, Dtype::float64);
  const Tensor w = transpose(wt, 0, 1);
  CHECK(linear_cross_entropy(p.x, w, p.b, p.targets, o, 7).item() ==
        Approx(cross_entropy(linear(p.x, w, p.b), p.targets, o).item()).epsilon(1e-12));
  // Every row ignored: loss 0 and zero gradients (cross_entropy's rule).
  const Tensor ignored = full({3, 37}, -100, Dtype::int64);
  Tensor(p.x).zero_grad();
  const Tensor none_kept = linear_cross_entropy(p.x, p.w, p.b, ignored, o);
  CHECK(none_kept.item() == 0.0);
  none_kept.backward();
  for (double g : to_vector<double>(p.x.grad())) CHECK(g == 0.0);
}

TEST_CASE("linear_cross_entropy with Reduction::none is linear then cross_entropy", "[nn]") {
  const Problem p = make_problem(Dtype::float64, 9);
  const CrossEntropyOptions o{-100, 0.2, Reduction::none};
  const Tensor got = linear_cross_entropy(p.x, p.w, p.b, p.targets, o);
  CHECK(got.shape() == Shape{3, 37});
  CHECK(max_relative_diff(got, cross_entropy(linear(p.x, p.w, p.b), p.targets, o)) < 1e-12);
}

TEST_CASE("linear_cross_entropy names its bad inputs", "[nn]") {
  const Problem p = make_problem(Dtype::float32, 10);
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, p.b, zeros({3, 36}, Dtype::int64)),
                      Contains("linear_cross_entropy: input [3, 37, 16] needs targets of shape [3, 37], got [3, 36]"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, p.b, full({3, 37}, 300, Dtype::int64)),
                      Contains("linear_cross_entropy: target 300 at position 0 is out of range for 300 classes"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, zeros({300, 15}), p.b, p.targets),
                      Contains("must end in the weight's in_features 15"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, zeros({299}), p.targets), Contains("bias must be (300)"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, to_dtype(p.w, Dtype::float64), p.b, p.targets),
                      Contains("must share a dtype"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, p.b, zeros({3, 37})), Contains("targets must be int64"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, p.b, p.targets, {.label_smoothing = 1.5}),
                      Contains("label_smoothing 1.5 is outside [0, 1]"));
  REQUIRE_THROWS_WITH(linear_cross_entropy(p.x, p.w, p.b, p.targets, {}, -1),
                      Contains("chunk_rows must be >= 0 (0: automatic), got -1"));
}
