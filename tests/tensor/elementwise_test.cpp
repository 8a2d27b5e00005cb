// elementwise_test.cpp — unary, binary, comparison, logical, where, masked_fill, to_dtype and
// in-place ops, each checked against a naive index-by-index reference on contiguous,
// transposed, sliced and expanded inputs in float32 and float64; plus error messages,
// numerical edge cases and storage-version bumps.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/ranges.h>

#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/naive_index.h"
#include "tensor/random.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

namespace {

using naive::Index;
using Maker = std::function<Tensor(const Shape&)>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using naive::all_indices;
using naive::read_at;

// The element of an operand of shape `s` that broadcasting pairs with output index `idx`.
Index broadcast_index(const Index& idx, const Shape& s) {
  Index r(static_cast<size_t>(s.size()));
  const size_t lead = idx.size() - r.size();
  for (size_t d = 0; d < r.size(); ++d) r[d] = s[static_cast<int64_t>(d)] == 1 ? 0 : idx[lead + d];
  return r;
}

bool close(double got, double want, double tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::abs(got - want) <= tol * (1 + std::abs(want));
}

// "" if `got` has `shape` and every element is within tol of want(index), else the first miss.
std::string mismatch(const Tensor& got, const Shape& shape, const std::function<double(const Index&)>& want,
                     double tol) {
  if (!(got.shape() == shape)) return fmt::format("shape {} instead of {}", got.shape(), shape);
  for (const Index& idx : all_indices(shape)) {
    const double g = read_at(got, idx);
    const double w = want(idx);
    if (!close(g, w, tol)) return fmt::format("at [{}]: got {} want {}", fmt::join(idx, ", "), g, w);
  }
  return "";
}

struct Layout {
  std::string name;
  Tensor t;
};

// A tensor of logical shape `shape` in several memory layouts, filled by make(base shape):
// contiguous, transposed (last two axes), strided (step-2 slice of axis 0, narrowed last axis)
// and expanded (axis 0 broadcast from size 1).
std::vector<Layout> layouts(const Shape& shape, const Maker& make) {
  std::vector<Layout> out{{"contiguous", make(shape)}};
  const int64_t rank = shape.size();
  if (rank >= 2) {
    Shape s = shape;
    std::swap(s[rank - 1], s[rank - 2]);
    out.push_back({"transposed", raw::transpose(make(s), -1, -2)});
  }
  if (rank >= 1) {
    Shape s = shape;
    s[0] *= 2;
    if (rank >= 2) s[rank - 1] += 3;
    Tensor t = raw::slice(make(s), 0, 0, s[0], 2);
    if (rank >= 2) t = raw::narrow(t, -1, 1, shape[rank - 1]);
    out.push_back({"strided", t});
  }
  if (rank >= 1 && shape[0] > 1) {
    Shape s = shape;
    s[0] = 1;
    out.push_back({"expanded", raw::expand(make(s), shape)});
  }
  return out;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// Rounds to the dtype of T, so the reference sees the same inputs as the library.
template <class T>
Maker normal_maker(Generator& gen, double scale = 1, double shift = 0) {
  return [&gen, scale, shift](const Shape& s) {
    std::vector<T> v = to_vector<T>(randn(s, gen, Dtype::float64));
    for (T& x : v) x = static_cast<T>(x * scale + shift);
    return from_vector(v, s);
  };
}

template <class T>
Maker positive_maker(Generator& gen) {
  return [&gen](const Shape& s) { return rand(s, gen, dtype_of<T>, 0.1, 3.0); };
}

// Small integers (as T), so comparisons see plenty of ties.
template <class T>
Maker integer_maker(Generator& gen, int64_t low = -2, int64_t high = 3) {
  return [&gen, low, high](const Shape& s) {
    const std::vector<int64_t> v = to_vector<int64_t>(randint(low, high, s, gen));
    return from_vector(std::vector<T>(v.begin(), v.end()), s);
  };
}

Maker bool_maker(Generator& gen) {
  return [&gen](const Shape& s) { return bernoulli(s, 0.5, gen, Dtype::bool_); };
}

// Shape pairs for binary ops: equal shapes, and broadcasts both ways including rank 0.
const std::vector<std::pair<Shape, Shape>>& shape_pairs() {
  static const std::vector<std::pair<Shape, Shape>> pairs{
      {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}}, {{}, {3, 4}}, {{3, 4}, {}}, {{}, {}}};
  return pairs;
}

using BinaryOp = std::function<Tensor(const Tensor&, const Tensor&)>;
using BinaryRef = std::function<double(double, double)>;

// Checks op against ref for every shape pair and every pair of layouts.
void check_binary(const std::string& name, const BinaryOp& op, const BinaryRef& ref, const Maker& make_a,
                  const Maker& make_b, double tol) {
  for (const auto& [sa, sb] : shape_pairs()) {
    const Shape out_shape = broadcast_shapes("test", sa, sb);
    for (const Layout& la : layouts(sa, make_a)) {
      for (const Layout& lb : layouts(sb, make_b)) {
        INFO(name << " on " << fmt::format("{} {} and {} {}", la.name, sa, lb.name, sb));
        const Tensor got = op(la.t, lb.t);
        CHECK(mismatch(
                  got, out_shape,
                  [&](const Index& i) {
                    return ref(read_at(la.t, broadcast_index(i, sa)), read_at(lb.t, broadcast_index(i, sb)));
                  },
                  tol) == "");
      }
    }
  }
}

using UnaryOp = std::function<Tensor(const Tensor&)>;
using UnaryRef = std::function<double(double)>;

void check_unary(const std::string& name, const UnaryOp& op, const UnaryRef& ref, const Maker& make, double tol) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 3, 5}, Shape{}}) {
    for (const Layout& l : layouts(shape, make)) {
      INFO(name << " on " << l.name << " " << fmt::format("{}", shape));
      const Tensor got = op(l.t);
      CHECK(got.dtype() == l.t.dtype());
      CHECK(mismatch(
                got, shape, [&](const Index& i) { return ref(read_at(l.t, i)); }, tol) == "");
    }
  }
}

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }
double gelu_ref(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

}  // namespace

// One reference per row, kept as a table.
// clang-format off
TEMPLATE_TEST_CASE("unary ops match a naive reference on every layout", "[elementwise]", float, double) {
  Generator gen(1);
  const double tol = tolerance<TestType>();
  const Maker normal = normal_maker<TestType>(gen, 2);
  const Maker positive = positive_maker<TestType>(gen);
  check_unary("neg", raw::neg, [](double x) { return -x; }, normal, tol);
  check_unary("abs", raw::abs, [](double x) { return std::abs(x); }, normal, tol);
  check_unary("relu", raw::relu, [](double x) { return x < 0 ? 0 : x; }, normal, tol);
  check_unary("exp", raw::exp, [](double x) { return std::exp(x); }, normal, tol);
  check_unary("log", raw::log, [](double x) { return std::log(x); }, positive, tol);
  check_unary("sqrt", raw::sqrt, [](double x) { return std::sqrt(x); }, positive, tol);
  check_unary("tanh", raw::tanh, [](double x) { return std::tanh(x); }, normal, tol);
  check_unary("sigmoid", raw::sigmoid, sigmoid_ref, normal, tol);
  check_unary("gelu", raw::gelu, gelu_ref, normal, tol);
  for (double e : {2.0, 3.0, 1.0, 0.5, -1.5, 0.0}) {
    check_unary(fmt::format("pow {}", e), [e](const Tensor& x) { return raw::pow(x, e); },
                [e](double x) { return std::pow(x, e); }, positive, tol);
  }
  check_unary("pow 2 of negatives", [](const Tensor& x) { return raw::pow(x, 2.0); },
              [](double x) { return x * x; }, normal, tol);
  check_unary("add scalar", [](const Tensor& x) { return raw::add(x, 2.5); }, [](double x) { return x + 2.5; },
              normal, tol);
  check_unary("mul scalar", [](const Tensor& x) { return raw::mul(x, -1.5); }, [](double x) { return x * -1.5; },
              normal, tol);
}

TEMPLATE_TEST_CASE("binary ops broadcast and match a naive reference on every layout", "[elementwise]", float,
                   double) {
  Generator gen(2);
  const double tol = tolerance<TestType>();
  const Maker normal = normal_maker<TestType>(gen);
  const Maker positive = positive_maker<TestType>(gen);
  check_binary("add", [](const Tensor& a, const Tensor& b) { return raw::add(a, b); }, [](double a, double b) { return a + b; }, normal, normal, tol);
  check_binary("sub", raw::sub, [](double a, double b) { return a - b; }, normal, normal, tol);
  check_binary("mul", [](const Tensor& a, const Tensor& b) { return raw::mul(a, b); }, [](double a, double b) { return a * b; }, normal, normal, tol);
  check_binary("div", raw::div, [](double a, double b) { return a / b; }, normal, positive, tol);
  check_binary("pow", [](const Tensor& a, const Tensor& b) { return raw::pow(a, b); }, [](double a, double b) { return std::pow(a, b); }, positive, normal, tol);
  check_binary("maximum", raw::maximum, [](double a, double b) { return std::max(a, b); }, normal, normal, tol);
  check_binary("minimum", raw::minimum, [](double a, double b) { return std::min(a, b); }, normal, normal, tol);
}

TEMPLATE_TEST_CASE("comparisons give bool tensors matching a naive reference", "[elementwise]", float, double,
                   int64_t) {
  Generator gen(3);
  const Maker ints = integer_maker<TestType>(gen);
  const std::vector<std::tuple<std::string, BinaryOp, std::function<bool(double, double)>>> cases{
      {"eq", raw::eq, [](double a, double b) { return a == b; }},
      {"ne", raw::ne, [](double a, double b) { return a != b; }},
      {"lt", raw::lt, [](double a, double b) { return a < b; }},
      {"le", raw::le, [](double a, double b) { return a <= b; }},
      {"gt", raw::gt, [](double a, double b) { return a > b; }},
      {"ge", raw::ge, [](double a, double b) { return a >= b; }},
  };
  for (const auto& [name, op, ref] : cases) {
    check_binary(name, [op = op](const Tensor& a, const Tensor& b) {
          const Tensor r = op(a, b);
          CHECK(r.dtype() == Dtype::bool_);
          return r;
        }, [ref = ref](double a, double b) { return ref(a, b) ? 1.0 : 0.0; }, ints, ints, 0);
  }
}

TEST_CASE("int64 arithmetic matches a naive reference", "[elementwise]") {
  Generator gen(4);
  const Maker ints = integer_maker<int64_t>(gen, -20, 21);
  const Maker divisors = integer_maker<int64_t>(gen, 1, 7);
  const Maker exponents = integer_maker<int64_t>(gen, 0, 4);
  check_binary("add", [](const Tensor& a, const Tensor& b) { return raw::add(a, b); }, [](double a, double b) { return a + b; }, ints, ints, 0);
  check_binary("sub", raw::sub, [](double a, double b) { return a - b; }, ints, ints, 0);
  check_binary("mul", [](const Tensor& a, const Tensor& b) { return raw::mul(a, b); }, [](double a, double b) { return a * b; }, ints, ints, 0);
  check_binary("div truncates", raw::div, [](double a, double b) { return std::trunc(a / b); }, ints, divisors, 0);
  check_binary("div by negatives", raw::div, [](double a, double b) { return std::trunc(a / b); }, ints,
               [&](const Shape& s) { return raw::neg(divisors(s)); }, 0);
  check_binary("pow", [](const Tensor& a, const Tensor& b) { return raw::pow(a, b); }, [](double a, double b) { return std::pow(a, b); }, ints, exponents, 0);
  check_binary("maximum", raw::maximum, [](double a, double b) { return std::max(a, b); }, ints, ints, 0);
  check_binary("minimum", raw::minimum, [](double a, double b) { return std::min(a, b); }, ints, ints, 0);
  check_unary("neg", raw::neg, [](double x) { return -x; }, ints, 0);
  check_unary("abs", raw::abs, [](double x) { return std::abs(x); }, ints, 0);
  check_unary("relu", raw::relu, [](double x) { return std::max(x, 0.0); }, ints, 0);
  // The scalar converts to int64 (truncating) before the op.
  check_unary("add scalar", [](const Tensor& x) { return raw::add(x, 2.9); }, [](double x) { return x + 2; }, ints, 0);
  check_unary("mul scalar", [](const Tensor& x) { return raw::mul(x, -3.0); }, [](double x) { return x * -3; }, ints,
              0);
}

TEST_CASE("int64 overflow wraps around and INT64_MIN / -1 does not trap", "[elementwise]") {
  const int64_t big = std::numeric_limits<int64_t>::max();
  const int64_t small = std::numeric_limits<int64_t>::min();
  CHECK(raw::add(from_vector<int64_t>({big}), from_vector<int64_t>({1})).item() == static_cast<double>(small));
  CHECK(to_vector<int64_t>(raw::neg(from_vector<int64_t>({small}))) == std::vector<int64_t>{small});
  CHECK(to_vector<int64_t>(raw::div(from_vector<int64_t>({small, 7, -7}), from_vector<int64_t>({-1, -2, 2}))) ==
        std::vector<int64_t>{small, -3, -3});
}

TEST_CASE("logical ops on bool tensors match a naive reference", "[elementwise]") {
  Generator gen(5);
  const Maker bools = bool_maker(gen);
  check_binary("logical_and", raw::logical_and, [](double a, double b) { return (a != 0 && b != 0) ? 1.0 : 0.0; },
               bools, bools, 0);
  check_binary("logical_or", raw::logical_or, [](double a, double b) { return (a != 0 || b != 0) ? 1.0 : 0.0; },
               bools, bools, 0);
  check_binary("eq on bools", raw::eq, [](double a, double b) { return a == b ? 1.0 : 0.0; }, bools, bools, 0);
  check_unary("logical_not", raw::logical_not, [](double a) { return a != 0 ? 0.0 : 1.0; }, bools, 0);
}
// clang-format on

TEMPLATE_TEST_CASE("where selects elementwise with all three operands broadcast", "[elementwise]", float, double) {
  Generator gen(6);
  const Maker bools = bool_maker(gen);
  const Maker normal = normal_maker<TestType>(gen);
  const std::vector<std::tuple<Shape, Shape, Shape>> shapes{
      {{3, 4}, {3, 4}, {3, 4}}, {{3, 1}, {1, 4}, {}}, {{4}, {3, 1}, {2, 1, 1}}, {{2, 3, 4}, {4}, {3, 4}}};
  for (const auto& [sc, sa, sb] : shapes) {
    const Shape out_shape = broadcast_shapes("test", broadcast_shapes("test", sc, sa), sb);
    for (const Layout& lc : layouts(sc, bools)) {
      for (const Layout& la : layouts(sa, normal)) {
        const Tensor b = normal(sb);
        INFO(fmt::format("cond {} {}, a {} {}, b {}", lc.name, sc, la.name, sa, sb));
        CHECK(mismatch(
                  raw::where(lc.t, la.t, b), out_shape,
                  [&](const Index& i) {
                    return read_at(lc.t, broadcast_index(i, sc)) != 0 ? read_at(la.t, broadcast_index(i, sa))
                                                                      : read_at(b, broadcast_index(i, sb));
                  },
                  0) == "");
      }
    }
  }
}

TEMPLATE_TEST_CASE("masked_fill writes the value where the broadcast mask is true", "[elementwise]", float, double) {
  Generator gen(7);
  const Maker bools = bool_maker(gen);
  const Maker normal = normal_maker<TestType>(gen);
  const Shape x_shape{3, 4};
  for (const Shape& mask_shape : {Shape{3, 4}, Shape{1, 4}, Shape{3, 1}, Shape{4}, Shape{}}) {
    for (const Layout& lx : layouts(x_shape, normal)) {
      for (const Layout& lm : layouts(mask_shape, bools)) {
        INFO(fmt::format("x {}, mask {} {}", lx.name, lm.name, mask_shape));
        const Tensor got = raw::masked_fill(lx.t, lm.t, -kInf);
        CHECK(got.dtype() == dtype_of<TestType>);
        CHECK(mismatch(
                  got, x_shape,
                  [&](const Index& i) {
                    return read_at(lm.t, broadcast_index(i, mask_shape)) != 0 ? -kInf : read_at(lx.t, i);
                  },
                  0) == "");
      }
    }
  }
}

TEST_CASE("to_dtype converts between all four dtypes", "[elementwise]") {
  const Tensor source = from_vector<double>({-2.75, -1, 0, 0.25, 1, 3.75}, {2, 3});
  const std::vector<double> as_float{-2.75, -1, 0, 0.25, 1, 3.75};
  const std::vector<double> as_int{-2, -1, 0, 0, 1, 3};  // truncation toward zero
  const std::vector<double> as_bool{1, 1, 0, 1, 1, 1};
  CHECK(to_vector<double>(raw::to_dtype(source, Dtype::float32)) == as_float);
  CHECK(to_vector<double>(raw::to_dtype(source, Dtype::int64)) == as_int);
  CHECK(to_vector<double>(raw::to_dtype(source, Dtype::bool_)) == as_bool);
  for (Dtype from : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::bool_}) {
    const Tensor x = raw::to_dtype(source, from);
    CHECK(x.dtype() == from);
    const std::vector<double> expected = to_vector<double>(x);
    for (Dtype to : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::bool_}) {
      INFO(fmt::format("{} -> {}", from, to));
      const Tensor y = raw::to_dtype(x, to);
      CHECK(y.dtype() == to);
      CHECK(y.shape() == x.shape());
      std::vector<double> want = expected;
      for (double& v : want) {
        if (to == Dtype::int64) v = std::trunc(v);
        if (to == Dtype::bool_) v = v != 0 ? 1 : 0;
      }
      CHECK(to_vector<double>(y) == want);
      // A transposed view converts element by element too.
      const Tensor xt = raw::transpose(x, 0, 1);
      CHECK(to_vector<double>(raw::to_dtype(xt, to)) == to_vector<double>(raw::to_dtype(raw::contiguous(xt), to)));
    }
  }
  // The same dtype gives the tensor itself, as torch's Tensor.to does.
  CHECK(raw::to_dtype(source, Dtype::float64).storage() == source.storage());
  // NaN and out-of-range floats become INT64_MIN (x86 and PyTorch behaviour), never UB.
  CHECK(to_vector<int64_t>(raw::to_dtype(from_vector<double>({kNaN, 1e300, -kInf}), Dtype::int64)) ==
        std::vector<int64_t>(3, std::numeric_limits<int64_t>::min()));
}

TEST_CASE("numerical edge cases: stable sigmoid, exact gelu, NaN propagation", "[elementwise]") {
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    INFO(fmt::format("{}", dtype));
    const Tensor x = raw::to_dtype(from_vector<double>({-1000, -100, 0, 100, 1000}), dtype);
    const std::vector<double> s = to_vector<double>(raw::sigmoid(x));
    CHECK(s[0] == 0);
    CHECK(s[1] == Approx(sigmoid_ref(-100)).margin(1e-30));
    CHECK(s[2] == 0.5);
    CHECK(s[3] == 1);
    CHECK(s[4] == 1);
    const double tol = dtype == Dtype::float32 ? 1e-6 : 1e-15;
    const std::vector<double> g = to_vector<double>(raw::gelu(raw::to_dtype(from_vector<double>({1, -1, 3}), dtype)));
    CHECK(g[0] == Approx(0.8413447460685429).epsilon(tol));
    CHECK(g[1] == Approx(-0.15865525393145707).epsilon(tol));
    CHECK(g[2] == Approx(2.99595030590511).epsilon(tol));
    const Tensor with_nan = raw::to_dtype(from_vector<double>({kNaN, 1, kNaN}), dtype);
    const Tensor other = raw::to_dtype(from_vector<double>({1, kNaN, kNaN}), dtype);
    for (const Tensor& r : {raw::relu(with_nan), raw::maximum(with_nan, other), raw::minimum(with_nan, other)}) {
      const std::vector<double> v = to_vector<double>(r);
      CHECK(std::isnan(v[0]));
      CHECK(std::isnan(v[2]));
    }
    CHECK(std::isnan(to_vector<double>(raw::maximum(with_nan, other))[1]));
    CHECK(std::signbit(to_vector<double>(raw::neg(raw::to_dtype(from_vector<double>({0.0}), dtype)))[0]));
  }
}

TEST_CASE("binary ops reject mismatched dtypes and shapes naming the op", "[elementwise]") {
  const Tensor f32 = zeros({2, 3}, Dtype::float32);
  const Tensor f64 = zeros({2, 3}, Dtype::float64);
  REQUIRE_THROWS_WITH(raw::add(f32, f64), Contains("add: dtypes differ: float32 and float64"));
  REQUIRE_THROWS_WITH(raw::sub(f64, f32), Contains("sub: dtypes differ: float64 and float32"));
  REQUIRE_THROWS_WITH(raw::lt(f32, f64), Contains("lt: dtypes differ: float32 and float64"));
  REQUIRE_THROWS_WITH(raw::where(zeros({2, 3}, Dtype::bool_), f32, f64), Contains("where: dtypes differ"));
  REQUIRE_THROWS_WITH(raw::mul(zeros({3}), zeros({4})), Contains("mul: shapes [3] and [4] cannot be broadcast"));
  REQUIRE_THROWS_WITH(raw::eq(zeros({2, 3}), zeros({3, 2})),
                      Contains("eq: shapes [2, 3] and [3, 2] cannot be broadcast"));
  REQUIRE_THROWS_WITH(raw::add(Tensor(), f32), Contains("add: the tensor is undefined"));
}

TEST_CASE("numeric and floating ops reject dtypes they do not support", "[elementwise]") {
  const Tensor mask = zeros({2}, Dtype::bool_);
  const Tensor ints = zeros({2}, Dtype::int64);
  REQUIRE_THROWS_WITH(raw::neg(mask), Contains("neg: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::add(mask, mask), Contains("add: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::lt(mask, mask), Contains("lt: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::add(mask, 1.0), Contains("add: needs a numeric tensor, got bool"));
  const std::vector<std::pair<std::string, UnaryOp>> floating{
      {"exp", raw::exp},
      {"log", raw::log},
      {"sqrt", raw::sqrt},
      {"tanh", raw::tanh},
      {"sigmoid", raw::sigmoid},
      {"gelu", raw::gelu},
      {"pow", [](const Tensor& x) { return raw::pow(x, 2.0); }}};
  for (const auto& [name, op] : floating) {
    REQUIRE_THROWS_WITH(op(ints), Contains(name + ": needs a floating-point tensor (float32 or float64), got int64"));
    REQUIRE_THROWS_WITH(op(mask), Contains(name + ": needs a floating-point tensor (float32 or float64), got bool"));
  }
  REQUIRE_THROWS_WITH(raw::logical_and(zeros({2}), mask),
                      Contains("logical_and: the first operand must be a bool tensor, got float32"));
  REQUIRE_THROWS_WITH(raw::logical_not(ints), Contains("logical_not: the input must be a bool tensor, got int64"));
}

TEST_CASE("integer division by zero and negative integer powers throw", "[elementwise]") {
  const Tensor a = from_vector<int64_t>({4, 5, 6});
  REQUIRE_THROWS_WITH(raw::div(a, from_vector<int64_t>({1, 0, 2})), Contains("div: integer division by zero"));
  REQUIRE_THROWS_WITH(raw::div(a, zeros({}, Dtype::int64)), Contains("div: integer division by zero"));
  REQUIRE_THROWS_WITH(raw::pow(a, from_vector<int64_t>({1, -1, 2})),
                      Contains("pow: int64 tensors cannot be raised to negative powers"));
  // Floating division by zero is IEEE: inf and NaN.
  const std::vector<double> q = to_vector<double>(raw::div(from_vector<double>({1, 0}), zeros({2}, Dtype::float64)));
  CHECK(q[0] == kInf);
  CHECK(std::isnan(q[1]));
}

TEST_CASE("where and masked_fill check the mask", "[elementwise]") {
  const Tensor x = zeros({3, 1});
  REQUIRE_THROWS_WITH(raw::where(zeros({3, 1}), x, x),
                      Contains("where: the condition must be a bool tensor, got float32"));
  REQUIRE_THROWS_WITH(raw::masked_fill(x, zeros({3, 1}), 1),
                      Contains("masked_fill: the mask must be a bool tensor, got float32"));
  REQUIRE_THROWS_WITH(
      raw::masked_fill(x, zeros({3, 4}, Dtype::bool_), 1),
      Contains("masked_fill: the mask of shape [3, 4] cannot be broadcast to the input of shape [3, 1]"));
  REQUIRE_THROWS_WITH(raw::masked_fill(x, zeros({2, 1}, Dtype::bool_), 1),
                      Contains("masked_fill: shapes [3, 1] and [2, 1] cannot be broadcast"));
}

TEMPLATE_TEST_CASE("fill_ and mul_ write only the view's elements and bump the version", "[elementwise][inplace]",
                   float, double) {
  const Tensor base = arange(12, dtype_of<TestType>);
  const Tensor view = raw::slice(raw::view(base, {3, 4}), 1, 0, 4, 2);  // columns 0 and 2
  uint64_t version = base.storage()->version();
  raw::fill_(view, 7);
  CHECK(base.storage()->version() == ++version);
  CHECK(to_vector<double>(base) == std::vector<double>{7, 1, 7, 3, 7, 5, 7, 7, 7, 9, 7, 11});
  raw::mul_(raw::transpose(view, 0, 1), 2);
  CHECK(base.storage()->version() == ++version);
  CHECK(to_vector<double>(base) == std::vector<double>{14, 1, 14, 3, 14, 5, 14, 7, 14, 9, 14, 11});
  raw::fill_(zeros({}), 1);  // rank 0 works
  const Tensor mask = zeros({2}, Dtype::bool_);
  raw::fill_(mask, 3);
  CHECK(to_vector<double>(mask) == std::vector<double>{1, 1});
  REQUIRE_THROWS_WITH(raw::mul_(mask, 2), Contains("mul_: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::mul_(raw::expand(zeros({1}), {3}), 2),
                      Contains("mul_: cannot write in place into a broadcast"));
}

TEMPLATE_TEST_CASE("copy_ broadcasts and converts the source and bumps the version", "[elementwise][inplace]", float,
                   double) {
  Generator gen(8);
  const Maker normal = normal_maker<double>(gen);
  for (const Shape& src_shape : {Shape{3, 4}, Shape{1, 4}, Shape{3, 1}, Shape{}}) {
    for (const Layout& ls : layouts(src_shape, normal)) {
      for (bool transposed_dst : {false, true}) {
        INFO(fmt::format("src {} {}, transposed dst {}", ls.name, src_shape, transposed_dst));
        const Tensor storage = zeros({4, 3}, dtype_of<TestType>);
        const Tensor dst = transposed_dst ? raw::transpose(storage, 0, 1) : raw::view(storage, {3, 4});
        const uint64_t version = dst.storage()->version();
        raw::copy_(dst, ls.t);  // float64 source into a TestType destination
        CHECK(dst.storage()->version() == version + 1);
        CHECK(mismatch(
                  dst, {3, 4},
                  [&](const Index& i) {
                    return static_cast<double>(static_cast<TestType>(read_at(ls.t, broadcast_index(i, src_shape))));
                  },
                  0) == "");
      }
    }
  }
  // An uninitialised destination is only written, never read (UBSan checks bool loads).
  const Tensor fresh = Tensor::empty({3}, Dtype::bool_);
  raw::copy_(fresh, from_vector<double>({0, 2, -0.5}));
  CHECK(to_vector<double>(fresh) == std::vector<double>{0, 1, 1});
  // Overlapping source and destination: the transpose of a square matrix, in place.
  const Tensor m = raw::view(arange(9, dtype_of<TestType>), {3, 3});
  raw::copy_(m, raw::transpose(m, 0, 1));
  CHECK(to_vector<double>(m) == std::vector<double>{0, 3, 6, 1, 4, 7, 2, 5, 8});
  REQUIRE_THROWS_WITH(
      raw::copy_(zeros({3, 1}), zeros({3, 4})),
      Contains("copy_: the source of shape [3, 4] cannot be broadcast to the destination of shape [3, 1]"));
  REQUIRE_THROWS_WITH(raw::copy_(raw::expand(zeros({1, 4}), {3, 4}), zeros({3, 4})),
                      Contains("copy_: cannot write in place into a broadcast (expanded) tensor"));
}

TEMPLATE_TEST_CASE("add_ accumulates alpha * broadcast source and bumps the version", "[elementwise][inplace]", float,
                   double) {
  Generator gen(9);
  const double tol = tolerance<TestType>();
  const Maker normal = normal_maker<TestType>(gen);
  for (const Shape& src_shape : {Shape{3, 4}, Shape{4}, Shape{3, 1}, Shape{}}) {
    for (const Layout& ls : layouts(src_shape, normal)) {
      for (const Layout& ld : layouts({3, 4}, normal)) {
        if (ld.name == "expanded") continue;  // not writable
        for (double alpha : {1.0, -0.5}) {
          INFO(fmt::format("dst {}, src {} {}, alpha {}", ld.name, ls.name, src_shape, alpha));
          const Tensor before = raw::contiguous(ld.t).clone();
          const uint64_t version = ld.t.storage()->version();
          raw::add_(ld.t, ls.t, alpha);
          CHECK(ld.t.storage()->version() == version + 1);
          CHECK(mismatch(
                    ld.t, {3, 4},
                    [&](const Index& i) {
                      return read_at(before, i) + alpha * read_at(ls.t, broadcast_index(i, src_shape));
                    },
                    tol) == "");
        }
      }
    }
  }
  // x += x doubles every element.
  const Tensor x = arange(4, dtype_of<TestType>);
  raw::add_(x, x);
  CHECK(to_vector<double>(x) == std::vector<double>{0, 2, 4, 6});
  REQUIRE_THROWS_WITH(raw::add_(zeros({2}, Dtype::float32), zeros({2}, Dtype::float64)),
                      Contains("add_: dtypes differ: float32 and float64"));
  REQUIRE_THROWS_WITH(raw::add_(zeros({2}), zeros({2, 2})),
                      Contains("add_: the source of shape [2, 2] cannot be broadcast"));
}
