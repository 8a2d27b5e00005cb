// reduce_test.cpp — sum, mean, var, logsumexp, max/min/argmax and softmax/log_softmax, each
// checked against a naive reference (elements grouped by output position) on contiguous,
// transposed, permuted, sliced and expanded inputs in float32 and float64; plus dtypes,
// error messages and the -inf / NaN edge cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/ranges.h>

#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/naive_index.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

namespace {

using naive::Index;
using Values = std::vector<double>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using naive::all_indices;
using naive::read_at;

bool close(double got, double want, double tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::abs(got - want) <= tol * (1 + std::abs(want));
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// The reduced axes of a rank-`rank` tensor as flags (empty axes: all).
std::vector<bool> reduced_flags(const Shape& axes, int64_t rank) {
  std::vector<bool> flags(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) flags[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  return flags;
}

// The elements of x grouped by output position: key = index with reduced axes set to 0.
// Each group holds its values in row-major order, i.e. in increasing order along the axes.
std::map<Index, Values> group(const Tensor& x, const std::vector<bool>& reduced) {
  std::map<Index, Values> groups;
  for (const Index& idx : all_indices(x.shape())) {
    Index key = idx;
    for (size_t d = 0; d < key.size(); ++d) {
      if (reduced[d]) key[d] = 0;
    }
    groups[key].push_back(read_at(x, idx));
  }
  return groups;
}

// The output index for a group key: reduced axes dropped unless keepdim.
Index out_index(const Index& key, const std::vector<bool>& reduced, bool keepdim) {
  Index out;
  for (size_t d = 0; d < key.size(); ++d) {
    if (!reduced[d] || keepdim) out.push_back(key[d]);
  }
  return out;
}

Shape out_shape(const Shape& in, const std::vector<bool>& reduced, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < in.size(); ++d) {
    if (!reduced[static_cast<size_t>(d)])
      out.push_back(in[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

using Reduction = std::function<Tensor(const Tensor&, const Shape& axes, bool keepdim)>;
using Reference = std::function<double(const Values&)>;

// "" if op(x, axes, keepdim) matches ref on every group of x, else the first difference.
std::string reduce_mismatch(const Tensor& x, const Shape& axes, bool keepdim, const Reduction& op, const Reference& ref,
                            double tol) {
  const std::vector<bool> reduced = reduced_flags(axes, x.dim());
  const Tensor got = op(x, axes, keepdim);
  const Shape want_shape = out_shape(x.shape(), reduced, keepdim);
  if (!(got.shape() == want_shape)) return fmt::format("shape {} instead of {}", got.shape(), want_shape);
  for (const auto& [key, values] : group(x, reduced)) {
    const Index at = out_index(key, reduced, keepdim);
    const double g = read_at(got, at);
    const double w = ref(values);
    if (!close(g, w, tol)) return fmt::format("at [{}]: got {} want {}", fmt::join(at, ", "), g, w);
  }
  return "";
}

struct Layout {
  std::string name;
  Tensor t;
};

// A [2, 3, 4] tensor in several memory layouts, filled by make(base shape).
std::vector<Layout> layouts(const std::function<Tensor(const Shape&)>& make) {
  return {
      {"contiguous", make({2, 3, 4})},
      {"transposed", raw::transpose(make({2, 4, 3}), 1, 2)},
      {"permuted", raw::permute(make({4, 2, 3}), {1, 2, 0})},
      {"strided", raw::narrow(raw::slice(make({4, 3, 7}), 0, 0, 4, 2), 2, 2, 4)},
      {"expanded", raw::expand(make({1, 3, 4}), {2, 3, 4})},
  };
}

const std::vector<Shape>& axis_sets() {
  static const std::vector<Shape> sets{{}, {0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {1, 2}, {0, 1}, {0, 1, 2}};
  return sets;
}

// Checks op against ref for every layout, axis set and keepdim.
void check_reduction(const std::string& name, const Reduction& op, const Reference& ref,
                     const std::function<Tensor(const Shape&)>& make, double tol) {
  for (const Layout& l : layouts(make)) {
    for (const Shape& axes : axis_sets()) {
      for (bool keepdim : {false, true}) {
        INFO(fmt::format("{} on {} over {} keepdim {}", name, l.name, axes, keepdim));
        CHECK(reduce_mismatch(l.t, axes, keepdim, op, ref, tol) == "");
      }
    }
  }
}

// Checks a single-axis op against ref for every layout, axis and keepdim.
void check_axis_reduction(const std::string& name, const std::function<Tensor(const Tensor&, int64_t, bool)>& op,
                          const Reference& ref, const std::function<Tensor(const Shape&)>& make) {
  for (const Layout& l : layouts(make)) {
    for (int64_t axis = -3; axis < 3; ++axis) {
      for (bool keepdim : {false, true}) {
        INFO(fmt::format("{} on {} over {} keepdim {}", name, l.name, axis, keepdim));
        const Reduction as_set = [&](const Tensor& x, const Shape&, bool kd) { return op(x, axis, kd); };
        CHECK(reduce_mismatch(l.t, {axis}, keepdim, as_set, ref, 0) == "");
      }
    }
  }
}

double ref_sum(const Values& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double ref_mean(const Values& v) { return ref_sum(v) / static_cast<double>(v.size()); }
double ref_var(const Values& v, int64_t correction) {
  const double m = ref_mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(static_cast<int64_t>(v.size()) - correction);
}
double ref_logsumexp(const Values& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  return std::log(s);
}
double ref_max(const Values& v) {
  double m = v[0];
  for (double x : v) m = std::isnan(x) || x > m ? x : m;
  return m;
}
double ref_min(const Values& v) {
  double m = v[0];
  for (double x : v) m = std::isnan(x) || x < m ? x : m;
  return m;
}
// First index of the maximum; the first NaN wins.
double ref_argmax(const Values& v) {
  size_t at = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) return static_cast<double>(i);
    if (v[i] > v[at]) at = i;
  }
  return static_cast<double>(at);
}

template <class T>
std::function<Tensor(const Shape&)> normal_maker(Generator& gen) {
  return [&gen](const Shape& s) { return randn(s, gen, dtype_of<T>); };
}

// Small integers (as T), so max, min and argmax see ties.
template <class T>
std::function<Tensor(const Shape&)> integer_maker(Generator& gen) {
  return [&gen](const Shape& s) {
    const std::vector<int64_t> v = to_vector<int64_t>(randint(-3, 4, s, gen));
    return from_vector(std::vector<T>(v.begin(), v.end()), s);
  };
}

std::vector<double> values(const Tensor& t) { return to_vector<double>(t); }

}  // namespace

TEMPLATE_TEST_CASE("sum, mean, var and logsumexp match a naive reference over any axes", "[reduce]", float, double) {
  Generator gen(11);
  const auto make = normal_maker<TestType>(gen);
  const double tol = tolerance<TestType>();
  check_reduction(
      "sum", [](const Tensor& x, const Shape& a, bool k) { return raw::sum(x, a, k); }, ref_sum, make, tol);
  check_reduction(
      "mean", [](const Tensor& x, const Shape& a, bool k) { return raw::mean(x, a, k); }, ref_mean, make, tol);
  check_reduction(
      "var", [](const Tensor& x, const Shape& a, bool k) { return raw::var(x, a, 1, k); },
      [](const Values& v) { return ref_var(v, 1); }, make, tol);
  check_reduction(
      "var correction 0", [](const Tensor& x, const Shape& a, bool k) { return raw::var(x, a, 0, k); },
      [](const Values& v) { return ref_var(v, 0); }, make, tol);
  check_reduction(
      "logsumexp", [](const Tensor& x, const Shape& a, bool k) { return raw::logsumexp(x, a, k); }, ref_logsumexp, make,
      tol);
}

TEMPLATE_TEST_CASE("reductions keep floating dtypes and sum of int64 is int64", "[reduce]", float, double) {
  const Tensor x = ones({2, 3}, dtype_of<TestType>);
  for (const Tensor& r : {raw::sum(x), raw::mean(x, {0}), raw::var(x), raw::logsumexp(x, {1}), raw::max(x, 0),
                          raw::min(x), raw::softmax(x, 1), raw::log_softmax(x, 0)}) {
    CHECK(r.dtype() == dtype_of<TestType>);
  }
  CHECK(raw::argmax(x, 1).dtype() == Dtype::int64);
  CHECK(raw::sum(x).shape() == Shape{});
  CHECK(raw::sum(x).item() == 6);
}

TEST_CASE("int64 sum, max, min and argmax are exact", "[reduce]") {
  Generator gen(12);
  const auto make = integer_maker<int64_t>(gen);
  check_reduction(
      "sum",
      [](const Tensor& x, const Shape& a, bool k) {
        const Tensor r = raw::sum(x, a, k);
        CHECK(r.dtype() == Dtype::int64);
        return r;
      },
      ref_sum, make, 0);
  check_axis_reduction(
      "max", [](const Tensor& x, int64_t a, bool k) { return raw::max(x, a, k); }, ref_max, make);
  check_axis_reduction(
      "min", [](const Tensor& x, int64_t a, bool k) { return raw::min(x, a, k); }, ref_min, make);
  check_axis_reduction(
      "argmax", [](const Tensor& x, int64_t a, bool k) { return raw::argmax(x, a, k); }, ref_argmax, make);
}

TEMPLATE_TEST_CASE("max, min and argmax over one axis match a naive reference", "[reduce]", float, double) {
  Generator gen(13);
  for (const auto& make : {normal_maker<TestType>(gen), integer_maker<TestType>(gen)}) {
    check_axis_reduction(
        "max", [](const Tensor& x, int64_t a, bool k) { return raw::max(x, a, k); }, ref_max, make);
    check_axis_reduction(
        "min", [](const Tensor& x, int64_t a, bool k) { return raw::min(x, a, k); }, ref_min, make);
    check_axis_reduction(
        "argmax", [](const Tensor& x, int64_t a, bool k) { return raw::argmax(x, a, k); }, ref_argmax, make);
  }
}

TEMPLATE_TEST_CASE("whole-tensor max and min", "[reduce]", float, double) {
  Generator gen(14);
  for (const Layout& l : layouts(normal_maker<TestType>(gen))) {
    INFO(l.name);
    const Values v = values(l.t);
    const Tensor mx = raw::max(l.t);
    CHECK(mx.shape() == Shape{});
    CHECK(mx.item() == ref_max(v));
    CHECK(raw::min(l.t).item() == ref_min(v));
  }
  CHECK(raw::max(scalar(3, dtype_of<TestType>)).item() == 3);
  REQUIRE_THROWS_WITH(raw::max(zeros({0, 3}, dtype_of<TestType>)),
                      Contains("max: cannot reduce an empty tensor (shape [0, 3])"));
  REQUIRE_THROWS_WITH(raw::min(zeros({0}, dtype_of<TestType>)), Contains("min: cannot reduce an empty tensor"));
}

TEST_CASE("max, min and argmax: ties take the first index, NaN propagates", "[reduce]") {
  const Tensor ties = from_vector<double>({1, 3, 3, 2, -1, -1}, {2, 3});
  CHECK(values(raw::argmax(ties, 1)) == Values{1, 0});
  CHECK(values(raw::argmax(ties, 0)) == Values{1, 0, 0});
  CHECK(values(raw::argmax(raw::transpose(ties, 0, 1), 0)) == Values{1, 0});
  const Tensor nan = from_vector<double>({1, kNaN, 5, kNaN, 2, 0}, {2, 3});
  CHECK(values(raw::argmax(nan, 1)) == Values{1, 0});
  for (const Tensor& r : {raw::max(nan, 1), raw::min(nan, 1)}) {
    CHECK(std::isnan(values(r)[0]));
    CHECK(std::isnan(values(r)[1]));
  }
  const Values column_max = values(raw::max(nan, 0));
  CHECK(std::isnan(column_max[0]));
  CHECK(std::isnan(column_max[1]));
  CHECK(column_max[2] == 5);
  CHECK(std::isnan(raw::max(nan).item()));
  CHECK(std::isnan(raw::min(nan).item()));
  CHECK(std::isnan(values(raw::sum(nan, {1}))[0]));
}

TEMPLATE_TEST_CASE("NaN propagates through long contiguous rows (the unrolled paths)", "[reduce]", float, double) {
  // Rows of 40: NaN in the unrolled body, in the tail, at the start, and none.
  std::vector<double> v(4 * 40);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i));
  v[17] = kNaN;
  v[40 + 39] = kNaN;
  v[80] = kNaN;
  const Tensor x = raw::to_dtype(from_vector(v, {4, 40}), dtype_of<TestType>);
  for (const Tensor& r : {raw::max(x, 1), raw::min(x, 1), raw::logsumexp(x, {1})}) {
    const Values got = values(r);
    CHECK(std::isnan(got[0]));
    CHECK(std::isnan(got[1]));
    CHECK(std::isnan(got[2]));
    CHECK(!std::isnan(got[3]));
  }
  CHECK(values(raw::max(x, 1))[3] == Approx(ref_max(Values(v.begin() + 120, v.end()))).epsilon(1e-6));
  CHECK(values(raw::argmax(x, 1)) == Values{17, 39, 0, ref_argmax(Values(v.begin() + 120, v.end()))});
  const Values sm = values(raw::softmax(x, 1));
  CHECK(std::isnan(sm[5]));
  CHECK(std::isnan(sm[45]));
  CHECK(!std::isnan(sm[125]));
  CHECK(std::isnan(raw::max(x).item()));
  CHECK(!std::isnan(raw::max(raw::narrow(x, 0, 3, 1)).item()));
}

TEMPLATE_TEST_CASE("softmax and log_softmax match a naive reference along every axis", "[reduce]", float, double) {
  Generator gen(15);
  const double tol = tolerance<TestType>();
  for (const Layout& l : layouts([&](const Shape& s) { return randn(s, gen, dtype_of<TestType>, 0, 3); })) {
    for (int64_t axis = -3; axis < 3; ++axis) {
      INFO(fmt::format("{} axis {}", l.name, axis));
      const Tensor sm = raw::softmax(l.t, axis);
      const Tensor lsm = raw::log_softmax(l.t, axis);
      REQUIRE(sm.shape() == l.t.shape());
      REQUIRE(lsm.shape() == l.t.shape());
      const int64_t a = axis < 0 ? axis + 3 : axis;
      std::string miss;
      for (const Index& idx : all_indices(l.t.shape())) {
        Index lane = idx;
        double total = 0;
        for (lane[static_cast<size_t>(a)] = 0; lane[static_cast<size_t>(a)] < l.t.shape()[a];
             ++lane[static_cast<size_t>(a)]) {
          total += std::exp(read_at(l.t, lane));
        }
        const double want = std::exp(read_at(l.t, idx)) / total;
        const double want_log = read_at(l.t, idx) - std::log(total);
        if (miss.empty() && !close(read_at(sm, idx), want, tol))
          miss = fmt::format("softmax at [{}]", fmt::join(idx, ", "));
        if (miss.empty() && !close(read_at(lsm, idx), want_log, tol))
          miss = fmt::format("log_softmax at [{}]", fmt::join(idx, ", "));
      }
      CHECK(miss == "");
    }
  }
}

TEMPLATE_TEST_CASE("softmax of an all -inf row is zeros and log_softmax gives -inf", "[reduce]", float, double) {
  const Tensor x = raw::to_dtype(from_vector<double>({-kInf, -kInf, -kInf, 0, -kInf, 1, 1000, 0, -1000}, {3, 3}),
                                 dtype_of<TestType>);
  const Values sm = values(raw::softmax(x, 1));
  CHECK(Values(sm.begin(), sm.begin() + 3) == Values{0, 0, 0});
  CHECK(sm[3] == Approx(1 / (1 + std::exp(1.0))));
  CHECK(sm[4] == 0);  // a masked position
  CHECK(sm[5] == Approx(std::exp(1.0) / (1 + std::exp(1.0))));
  CHECK(Values(sm.begin() + 6, sm.end()) == Values{1, 0, 0});  // large logits: no overflow
  const Values lsm = values(raw::log_softmax(x, 1));
  CHECK(Values(lsm.begin(), lsm.begin() + 3) == Values{-kInf, -kInf, -kInf});
  CHECK(lsm[4] == -kInf);
  CHECK(lsm[6] == 0);
  CHECK(lsm[8] == Approx(-2000));
  // The same rows as columns: softmax along axis 0 of the transpose.
  const Values smt = values(raw::softmax(raw::transpose(x, 0, 1), 0));
  CHECK(Values{smt[0], smt[3], smt[6]} == Values{0, 0, 0});
  CHECK(Values{smt[2], smt[5], smt[8]} == Values{1, 0, 0});
  // A rank-0 tensor is a row of one.
  CHECK(raw::softmax(scalar(5, dtype_of<TestType>), 0).item() == 1);
  CHECK(raw::softmax(scalar(5, dtype_of<TestType>), 0).shape() == Shape{});
  CHECK(raw::log_softmax(scalar(5, dtype_of<TestType>), -1).item() == 0);
}

TEMPLATE_TEST_CASE("logsumexp is stable: large values, -inf slices and +inf", "[reduce]", float, double) {
  const Tensor x =
      raw::to_dtype(from_vector<double>({1000, 1000, -kInf, -kInf, -kInf, 0, kInf, 1}, {4, 2}), dtype_of<TestType>);
  const Values r = values(raw::logsumexp(x, {1}));
  CHECK(r[0] == Approx(1000 + std::log(2.0)));
  CHECK(r[1] == -kInf);
  CHECK(r[2] == Approx(0));
  CHECK(r[3] == kInf);
  CHECK(raw::logsumexp(full({0}, 1, dtype_of<TestType>), {}).item() == -kInf);
}

TEST_CASE("reductions of rank-0 and empty tensors", "[reduce]") {
  const Tensor s = scalar(2.5, Dtype::float64);
  CHECK(raw::sum(s).item() == 2.5);
  CHECK(raw::sum(s, {0}).item() == 2.5);
  CHECK(raw::mean(s, {-1}, true).shape() == Shape{});
  CHECK(raw::max(s, 0).item() == 2.5);
  CHECK(raw::argmax(s, 0).item() == 0);
  const Tensor empty = zeros({2, 0}, Dtype::float64);
  CHECK(values(raw::sum(empty, {1})) == Values{0, 0});
  CHECK(raw::sum(empty, {0}).shape() == Shape{0});
  CHECK(std::isnan(values(raw::mean(empty, {1}))[0]));
  REQUIRE_THROWS_WITH(raw::max(empty, 1), Contains("max: cannot reduce dimension 1 of size 0 (shape [2, 0])"));
  REQUIRE_THROWS_WITH(raw::argmax(empty, -1), Contains("argmax: cannot reduce dimension 1 of size 0"));
  CHECK(raw::max(empty, 0).shape() == Shape{0});
}

TEST_CASE("reductions reject bad axes and dtypes naming the op", "[reduce]") {
  const Tensor x = zeros({2, 3, 4});
  REQUIRE_THROWS_WITH(raw::sum(x, {1, -2}), Contains("sum: axis 1 appears twice in [1, -2]"));
  REQUIRE_THROWS_WITH(raw::mean(x, {0, 0}), Contains("mean: axis 0 appears twice"));
  REQUIRE_THROWS_WITH(raw::sum(x, {3}), Contains("sum: axis 3 is out of range for a tensor of rank 3"));
  REQUIRE_THROWS_WITH(raw::max(x, -4), Contains("max: axis -4 is out of range"));
  REQUIRE_THROWS_WITH(raw::softmax(x, 3), Contains("softmax: axis 3 is out of range"));
  const Tensor ints = zeros({2, 3}, Dtype::int64);
  REQUIRE_THROWS_WITH(raw::mean(ints), Contains("mean: needs a floating-point tensor (float32 or float64), got int64"));
  REQUIRE_THROWS_WITH(raw::var(ints), Contains("var: needs a floating-point tensor"));
  REQUIRE_THROWS_WITH(raw::logsumexp(ints, {}), Contains("logsumexp: needs a floating-point tensor"));
  REQUIRE_THROWS_WITH(raw::softmax(ints, 1), Contains("softmax: needs a floating-point tensor"));
  REQUIRE_THROWS_WITH(raw::log_softmax(ints, 1), Contains("log_softmax: needs a floating-point tensor"));
  const Tensor mask = zeros({2}, Dtype::bool_);
  REQUIRE_THROWS_WITH(raw::sum(mask), Contains("sum: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::argmax(mask, 0), Contains("argmax: needs a numeric tensor, got bool"));
  REQUIRE_THROWS_WITH(raw::var(zeros({2, 3}), {1}, 3),
                      Contains("var: 3 elements per output with correction 3 leave no degrees of freedom"));
  REQUIRE_THROWS_WITH(raw::var(zeros({1})), Contains("var: 1 elements per output with correction 1"));
}

TEST_CASE("float32 sums accumulate in double", "[reduce]") {
  // 2^24 followed by n ones: a float32 running sum would stay at 2^24 (2^24 + 1 rounds back).
  const int64_t n = 1 << 18;
  Tensor x = ones({n + 1}, Dtype::float32);
  raw::fill_(raw::narrow(x, 0, 0, 1), 16777216.0f);
  CHECK(raw::sum(x).item() == 16777216.0 + static_cast<double>(n));
  CHECK(raw::mean(raw::view(x, {1, n + 1}), {1}).item() ==
        Approx((16777216.0 + static_cast<double>(n)) / static_cast<double>(n + 1)));
}

TEST_CASE("float32 softmax rows of any length (the vectorised path) match float64 and keep masked keys at 0",
          "[reduce]") {
  Generator gen(16);
  for (int64_t n : {1, 7, 8, 9, 17, 64, 1000}) {
    INFO("row length " << n);
    Tensor x64 = randn({3, n}, gen, Dtype::float64, 0, 4);
    std::vector<double> v = values(x64);
    for (size_t i = 0; i < v.size(); i += 3) v[i] = -kInf;  // masked keys, including a row's first
    v[0] = 2.0;                                             // keep row 0 from being all -inf when n = 1
    x64 = raw::to_dtype(from_vector<double>(v, {3, n}), Dtype::float64);
    const Tensor x32 = raw::to_dtype(x64, Dtype::float32);
    const Values got = values(raw::softmax(x32, 1));
    // The reference rounds x - max to float as the kernel does (|x - max| up to ~25 here, so that
    // rounding alone moves exp by up to ~1e-6 relative), then takes exp and the sum in double.
    const Values xs = values(x32);
    Values want(xs.size());
    for (int64_t r = 0; r < 3; ++r) {
      const auto row = xs.begin() + r * n;
      const float m = static_cast<float>(*std::max_element(row, row + n));
      double total = 0;
      for (int64_t i = 0; i < n; ++i) {
        const float d = static_cast<float>(xs[static_cast<size_t>(r * n + i)]) - m;
        total += want[static_cast<size_t>(r * n + i)] = std::exp(static_cast<double>(d));
      }
      for (int64_t i = 0; i < n; ++i) want[static_cast<size_t>(r * n + i)] /= total;
    }
    for (size_t i = 0; i < got.size(); ++i) {
      if (v[i] == -kInf) {
        CHECK(got[i] == 0);
      } else {
        CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
      }
    }
  }
}
