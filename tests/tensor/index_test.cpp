// index_test.cpp — gather, scatter_add, index_select, index_add, embedding, concat, stack and
// split against naive reference loops, on contiguous, transposed, sliced and expanded inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/factories.h"
#include "tensor/index.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

namespace {

using Index = std::vector<int64_t>;

// Row-major flat position of multi-index `at` in `shape`, and back.
int64_t ravel(const Shape& shape, const Index& at) {
  int64_t flat = 0;
  for (int64_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + at[static_cast<size_t>(d)];
  return flat;
}

Index unravel(const Shape& shape, int64_t flat) {
  Index at(static_cast<size_t>(shape.size()));
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    at[static_cast<size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  return at;
}

// Distinct, exactly representable values (multiples of 0.25) so comparisons can be exact.
template <class T>
Tensor make_values(const Shape& shape, int64_t salt = 0) {
  std::vector<T> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(static_cast<double>(i) * 0.25 - 3 + salt);
  return from_vector(v, shape);
}

enum class Layout { contiguous, transposed, sliced, broadcast };
const std::vector<Layout> kLayouts = {Layout::contiguous, Layout::transposed, Layout::sliced, Layout::broadcast};

const char* layout_name(Layout l) {
  switch (l) {
    case Layout::contiguous: return "contiguous";
    case Layout::transposed: return "transposed";
    case Layout::sliced: return "sliced";
    case Layout::broadcast: return "broadcast";
  }
  return "?";
}

// A tensor of logical shape `shape` (rank >= 2) laid out as `layout`.
template <class T>
Tensor make_layout(const Shape& shape, Layout layout, int64_t salt) {
  const int64_t r = shape.size();
  switch (layout) {
    case Layout::contiguous: return make_values<T>(shape, salt);
    case Layout::transposed: {
      Shape swapped = shape;
      std::swap(swapped[r - 1], swapped[r - 2]);
      return raw::transpose(make_values<T>(swapped, salt), -1, -2);
    }
    case Layout::sliced: {  // every other row of dim 0, and a window of the last dim
      Shape big = shape;
      big[0] = 2 * shape[0] + 1;
      big[r - 1] = shape[r - 1] + 3;
      Tensor t = raw::slice(make_values<T>(big, salt), 0, 1, big[0], 2);
      return raw::narrow(t, r - 1, 2, shape[r - 1]);
    }
    case Layout::broadcast: {
      Shape base = shape;
      base[0] = 1;
      return raw::expand(make_values<T>(base, salt), shape);
    }
  }
  return {};
}

// make_layout, checking that every layout but the first really is strided.
template <class T>
Tensor make_input(const Shape& shape, Layout layout, int64_t salt = 0) {
  Tensor t = make_layout<T>(shape, layout, salt);
  REQUIRE(t.shape() == shape);
  REQUIRE(t.is_contiguous() == (layout == Layout::contiguous));
  return t;
}

// The logical (row-major) values of t.
std::vector<double> values(const Tensor& t) { return to_vector<double>(t); }

// out[at] = x[at with at[dim] = index[at]]
std::vector<double> gather_ref(const Tensor& x, int64_t dim, const Tensor& index) {
  const auto xv = values(x);
  const auto iv = to_vector<int64_t>(index);
  std::vector<double> out(iv.size());
  for (int64_t f = 0; f < index.numel(); ++f) {
    Index at = unravel(index.shape(), f);
    at[static_cast<size_t>(dim)] = iv[static_cast<size_t>(f)];
    out[static_cast<size_t>(f)] = xv[static_cast<size_t>(ravel(x.shape(), at))];
  }
  return out;
}

std::vector<double> scatter_add_ref(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  const auto sv = values(src);
  const auto iv = to_vector<int64_t>(index);
  std::vector<double> out(static_cast<size_t>(shape.numel()), 0.0);
  for (int64_t f = 0; f < index.numel(); ++f) {
    Index at = unravel(index.shape(), f);
    const double v = sv[static_cast<size_t>(ravel(src.shape(), at))];
    at[static_cast<size_t>(dim)] = iv[static_cast<size_t>(f)];
    out[static_cast<size_t>(ravel(shape, at))] += v;
  }
  return out;
}

std::vector<double> index_select_ref(const Tensor& x, int64_t dim, const Index& idx) {
  Shape shape = x.shape();
  shape[dim] = static_cast<int64_t>(idx.size());
  const auto xv = values(x);
  std::vector<double> out(static_cast<size_t>(shape.numel()));
  for (int64_t f = 0; f < shape.numel(); ++f) {
    Index at = unravel(shape, f);
    at[static_cast<size_t>(dim)] = idx[static_cast<size_t>(at[static_cast<size_t>(dim)])];
    out[static_cast<size_t>(f)] = xv[static_cast<size_t>(ravel(x.shape(), at))];
  }
  return out;
}

std::vector<double> index_add_ref(const Shape& shape, int64_t dim, const Index& idx, const Tensor& src) {
  const auto sv = values(src);
  std::vector<double> out(static_cast<size_t>(shape.numel()), 0.0);
  for (int64_t f = 0; f < src.numel(); ++f) {
    Index at = unravel(src.shape(), f);
    at[static_cast<size_t>(dim)] = idx[static_cast<size_t>(at[static_cast<size_t>(dim)])];
    out[static_cast<size_t>(ravel(shape, at))] += sv[static_cast<size_t>(f)];
  }
  return out;
}

std::vector<double> concat_ref(const std::vector<Tensor>& ts, int64_t dim, const Shape& out_shape) {
  std::vector<std::vector<double>> vs;
  for (const Tensor& t : ts) vs.push_back(values(t));
  std::vector<double> out(static_cast<size_t>(out_shape.numel()));
  for (int64_t f = 0; f < out_shape.numel(); ++f) {
    Index at = unravel(out_shape, f);
    size_t which = 0;
    int64_t& pos = at[static_cast<size_t>(dim)];
    while (pos >= ts[which].shape()[dim]) pos -= ts[which++].shape()[dim];
    out[static_cast<size_t>(f)] = vs[which][static_cast<size_t>(ravel(ts[which].shape(), at))];
  }
  return out;
}

// Deterministic pseudo-random indices in [0, bound).
Tensor make_index(const Shape& shape, int64_t bound, int64_t salt = 0) {
  std::vector<int64_t> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = (static_cast<int64_t>(i) * 7 + salt * 3 + 1) % bound;
  return from_vector(v, shape);
}

}  // namespace

// ---- gather / scatter_add --------------------------------------------------------------

TEMPLATE_TEST_CASE("gather matches the reference on every layout and dim", "[index]", float, double) {
  const Shape shape{3, 4, 5};
  for (Layout layout : kLayouts) {
    const Tensor x = make_input<TestType>(shape, layout);
    for (int64_t dim = 0; dim < 3; ++dim) {
      INFO("layout " << layout_name(layout) << ", dim " << dim);
      Shape ishape{2, 3, 4};  // smaller than x outside dim
      ishape[dim] = 6;        // and larger along dim (repeats allowed)
      const Tensor index = make_index(ishape, shape[dim], dim);
      const Tensor out = raw::gather(x, dim, index);
      CHECK(out.shape() == ishape);
      CHECK(out.dtype() == dtype_of<TestType>);
      CHECK(values(out) == gather_ref(x, dim, index));
    }
  }
}

TEST_CASE("gather reads a transposed index and a negative dim", "[index]") {
  const Tensor x = make_values<double>({4, 3});
  const Tensor index = raw::transpose(make_index({3, 4}, 3), 0, 1);  // shape [4, 3], not contiguous
  REQUIRE_FALSE(index.is_contiguous());
  const Tensor out = raw::gather(x, -1, index);
  CHECK(values(out) == gather_ref(x, 1, index));
}

TEST_CASE("gather moves int64 and bool data", "[index]") {
  const Tensor xi = from_vector<int64_t>({10, 11, 12, 13, 14, 15}, {2, 3});
  const Tensor index = from_vector<int64_t>({2, 0, 1, 1}, {2, 2});
  CHECK(to_vector<int64_t>(raw::gather(xi, 1, index)) == std::vector<int64_t>{12, 10, 14, 14});
  const Tensor xb = from_vector<bool>({true, false, false, false, true, true}, {2, 3});
  const Tensor ob = raw::gather(xb, 1, index);
  CHECK(ob.dtype() == Dtype::bool_);
  CHECK(to_vector<int64_t>(ob) == std::vector<int64_t>{0, 1, 1, 1});
}

TEST_CASE("gather rejects bad indices with clear messages", "[index]") {
  const Tensor x = make_values<float>({3, 4});
  REQUIRE_THROWS_WITH(raw::gather(x, 1, from_vector<int64_t>({0, 7, 1}, {1, 3})),
                      Contains("gather: index 7 is out of range for dimension 1 of size 4"));
  REQUIRE_THROWS_WITH(raw::gather(x, 0, from_vector<int64_t>({-1}, {1, 1})),
                      Contains("index -1 is out of range for dimension 0 of size 3"));
  REQUIRE_THROWS_WITH(raw::gather(x, 1, make_values<float>({3, 4})), Contains("index must be int64, got float32"));
  REQUIRE_THROWS_WITH(raw::gather(x, 1, make_index({12}, 4)), Contains("gather: index has rank 1"));
  REQUIRE_THROWS_WITH(raw::gather(x, 1, make_index({4, 2}, 4)),
                      Contains("index shape [4, 2] exceeds tensor shape [3, 4] in dimension 0"));
  REQUIRE_THROWS_WITH(raw::gather(x, 2, make_index({3, 4}, 3)), Contains("gather: axis 2 is out of range"));
}

TEMPLATE_TEST_CASE("scatter_add matches the reference, duplicates accumulate", "[index]", float, double) {
  const Shape shape{3, 4, 5};
  for (Layout layout : kLayouts) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      INFO("layout " << layout_name(layout) << ", dim " << dim);
      Shape ishape{2, 3, 4};
      ishape[dim] = 7;  // more entries than the dimension: some positions receive several
      const Tensor src = make_input<TestType>(ishape, layout, 1);
      const Tensor index = make_index(ishape, shape[dim], dim);
      const Tensor out = raw::scatter_add(shape, dim, index, src);
      CHECK(out.shape() == shape);
      CHECK(out.dtype() == dtype_of<TestType>);
      CHECK(values(out) == scatter_add_ref(shape, dim, index, src));
    }
  }
}

TEST_CASE("scatter_add accepts a src larger than the index and is the adjoint of gather", "[index]") {
  const Tensor src = make_values<double>({4, 6});
  const Tensor index = make_index({2, 3}, 5);
  CHECK(values(raw::scatter_add({3, 5}, 1, index, src)) == scatter_add_ref({3, 5}, 1, index, src));

  // <gather(x, index), g> == <x, scatter_add(index, g)>
  const Tensor x = make_values<double>({3, 5}, 2);
  const Tensor g = make_values<double>({2, 3}, 5);
  const auto gx = values(raw::gather(x, 1, index));
  const auto sg = values(raw::scatter_add(x.shape(), 1, index, g));
  const auto xv = values(x);
  const auto gv = values(g);
  double lhs = 0;
  double rhs = 0;
  for (size_t i = 0; i < gx.size(); ++i) lhs += gx[i] * gv[i];
  for (size_t i = 0; i < xv.size(); ++i) rhs += xv[i] * sg[i];
  CHECK(lhs == Approx(rhs));
}

TEST_CASE("scatter_add rejects bad arguments", "[index]") {
  const Tensor src = make_values<float>({2, 3});
  REQUIRE_THROWS_WITH(raw::scatter_add({2, 3}, 0, from_vector<int64_t>({0, 1, 2, 0, 1, 5}, {2, 3}), src),
                      Contains("scatter_add: index 2 is out of range for dimension 0 of size 2"));
  REQUIRE_THROWS_WITH(raw::scatter_add({2, 3}, 0, make_index({3, 3}, 2), src),
                      Contains("index shape [3, 3] exceeds src shape [2, 3] in dimension 0"));
  REQUIRE_THROWS_WITH(raw::scatter_add({2, 3}, 0, make_index({6}, 2), src), Contains("scatter_add: index has rank 1"));
  REQUIRE_THROWS_WITH(raw::scatter_add({2, 3}, 0, make_values<double>({2, 3}), src),
                      Contains("index must be int64, got float64"));
  const Tensor mask = from_vector<bool>({true, false, true, false, true, false}, {2, 3});
  REQUIRE_THROWS_WITH(raw::scatter_add({2, 3}, 1, make_index({2, 3}, 3), mask),
                      Contains("scatter_add: needs a numeric tensor, got bool"));
}

// ---- index_select / index_add ----------------------------------------------------------

TEMPLATE_TEST_CASE("index_select matches the reference on every layout and dim", "[index]", float, double) {
  const Shape shape{3, 4, 5};
  const Index idx{2, 0, 2, 1, 0};
  for (Layout layout : kLayouts) {
    const Tensor x = make_input<TestType>(shape, layout);
    for (int64_t dim = 0; dim < 3; ++dim) {
      INFO("layout " << layout_name(layout) << ", dim " << dim);
      const Tensor out = raw::index_select(x, dim, from_vector(idx));
      Shape expected = shape;
      expected[dim] = 5;
      CHECK(out.shape() == expected);
      CHECK(out.is_contiguous());
      CHECK(values(out) == index_select_ref(x, dim, idx));
    }
  }
}

TEST_CASE("index_select takes strided, empty and rank-0 indices, and bool data", "[index]") {
  const Tensor x = make_values<double>({5, 2});
  const Tensor idx = raw::slice(from_vector<int64_t>({4, 9, 0, 9, 3, 9}), 0, 0, 6, 2);  // [4, 0, 3]
  CHECK(values(raw::index_select(x, 0, idx)) == index_select_ref(x, 0, {4, 0, 3}));

  const Tensor none = raw::index_select(x, 0, from_vector<int64_t>(std::vector<int64_t>{}));
  CHECK(none.shape() == Shape{0, 2});

  const Tensor one = raw::index_select(x, 1, raw::select(from_vector<int64_t>({1}), 0, 0));
  CHECK(one.shape() == Shape{5, 1});
  CHECK(values(one) == index_select_ref(x, 1, {1}));

  const Tensor mask = from_vector<bool>({true, false, false}, {3, 1});
  CHECK(to_vector<int64_t>(raw::index_select(mask, 0, from_vector<int64_t>({1, 0, 0}))) ==
        std::vector<int64_t>{0, 1, 1});
}

TEST_CASE("index_select rejects bad indices", "[index]") {
  const Tensor x = make_values<float>({3, 4});
  REQUIRE_THROWS_WITH(raw::index_select(x, 1, from_vector<int64_t>({0, 4})),
                      Contains("index_select: index 4 is out of range for dimension 1 of size 4"));
  REQUIRE_THROWS_WITH(raw::index_select(x, 0, from_vector<int64_t>({-1})),
                      Contains("index -1 is out of range for dimension 0 of size 3"));
  REQUIRE_THROWS_WITH(raw::index_select(x, 0, make_index({2, 2}, 3)), Contains("index must be 1-D, got shape [2, 2]"));
  REQUIRE_THROWS_WITH(raw::index_select(x, 0, from_vector<double>({0.0})), Contains("index must be int64"));
  REQUIRE_THROWS_WITH(raw::index_select(x, -3, from_vector<int64_t>({0})), Contains("axis -3 is out of range"));
}

TEMPLATE_TEST_CASE("index_add matches the reference, duplicates accumulate", "[index]", float, double) {
  const Shape shape{3, 4, 5};
  const Index idx{1, 0, 1, 2, 1, 0};
  for (Layout layout : kLayouts) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      INFO("layout " << layout_name(layout) << ", dim " << dim);
      Shape sshape = shape;
      sshape[dim] = 6;
      const Tensor src = make_input<TestType>(sshape, layout, 3);
      const Tensor out = raw::index_add(shape, dim, from_vector(idx), src);
      CHECK(out.shape() == shape);
      CHECK(values(out) == index_add_ref(shape, dim, idx, src));
    }
  }
}

TEST_CASE("index_add rejects bad arguments", "[index]") {
  const Tensor src = make_values<float>({2, 3});
  REQUIRE_THROWS_WITH(raw::index_add({4, 3}, 0, from_vector<int64_t>({0, 4}), src),
                      Contains("index_add: index 4 is out of range for dimension 0 of size 4"));
  REQUIRE_THROWS_WITH(
      raw::index_add({4, 3}, 0, from_vector<int64_t>({0, 1, 2}), src),
      Contains("index_add: src has shape [2, 3] but 3 indices into [4, 3] along dimension 0 need [3, 3]"));
  REQUIRE_THROWS_WITH(raw::index_add({4, 3}, 0, make_index({1, 2}, 4), src), Contains("index must be 1-D"));
}

// ---- embedding -------------------------------------------------------------------------

TEMPLATE_TEST_CASE("embedding picks rows for ids of any shape and layout", "[index]", float, double) {
  const int64_t rows = 10;
  const int64_t width = 6;
  for (Layout layout : kLayouts) {
    INFO("weight layout " << layout_name(layout));
    const Tensor weight = make_input<TestType>({rows, width}, layout);
    for (const Tensor& ids : {make_index({2, 3}, rows), raw::transpose(make_index({4, 2}, rows, 1), 0, 1),
                              make_index({5}, rows, 2), raw::select(make_index({1}, rows), 0, 0)}) {
      const Tensor out = raw::embedding(weight, ids);
      Shape expected = ids.shape();
      expected.push_back(width);
      CHECK(out.shape() == expected);
      CHECK(out.dtype() == weight.dtype());
      const auto flat_ids = to_vector<int64_t>(ids);
      CHECK(values(out) == index_select_ref(weight, 0, flat_ids));
    }
  }
}

TEST_CASE("embedding rejects bad ids and weights", "[index]") {
  const Tensor weight = make_values<float>({10, 4});
  REQUIRE_THROWS_WITH(raw::embedding(weight, from_vector<int64_t>({3, 12, 1})),
                      Contains("embedding: id 12 is out of range for 10 rows"));
  REQUIRE_THROWS_WITH(raw::embedding(weight, from_vector<int64_t>({-2})),
                      Contains("embedding: id -2 is out of range for 10 rows"));
  REQUIRE_THROWS_WITH(raw::embedding(weight, from_vector<float>({1.0f})), Contains("embedding: index must be int64"));
  REQUIRE_THROWS_WITH(raw::embedding(make_values<float>({10}), from_vector<int64_t>({1})),
                      Contains("embedding: weight must be 2-D"));
}

// ---- concat / stack / split ------------------------------------------------------------

TEMPLATE_TEST_CASE("concat matches the reference on every dim with mixed layouts", "[index]", float, double) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    std::vector<Tensor> parts;
    Shape out_shape{3, 4, 5};
    out_shape[dim] = 0;
    for (size_t i = 0; i < kLayouts.size(); ++i) {
      Shape s{3, 4, 5};
      s[dim] = static_cast<int64_t>(i) + 1;
      out_shape[dim] += s[dim];
      parts.push_back(make_input<TestType>(s, kLayouts[i], static_cast<int64_t>(i)));
    }
    const Tensor out = raw::concat(parts, dim);
    CHECK(out.shape() == out_shape);
    CHECK(values(out) == concat_ref(parts, dim, out_shape));
    CHECK(values(raw::concat(parts, dim - 3)) == values(out));
  }
}

TEST_CASE("concat along the last dim, of empties, of one tensor, of int64 and bool", "[index]") {
  const Tensor a = make_values<double>({2, 3});
  const Tensor b = make_values<double>({2, 1}, 9);
  const Tensor empty = make_values<double>({2, 0});
  const Tensor out = raw::concat({a, empty, b}, -1);
  CHECK(values(out) == std::vector<double>{-3, -2.75, -2.5, 6, -2.25, -2, -1.75, 6.25});

  const Tensor alone = raw::concat({a}, 0);
  CHECK(values(alone) == values(a));
  CHECK(alone.storage() != a.storage());  // always a fresh tensor

  CHECK(to_vector<int64_t>(raw::concat({from_vector<int64_t>({1, 2}), from_vector<int64_t>({3})}, 0)) ==
        std::vector<int64_t>{1, 2, 3});
  const Tensor mask = raw::concat({from_vector<bool>({true}), from_vector<bool>({false, true})}, 0);
  CHECK(mask.dtype() == Dtype::bool_);
  CHECK(to_vector<int64_t>(mask) == std::vector<int64_t>{1, 0, 1});
}

TEST_CASE("concat rejects bad lists with the offending position", "[index]") {
  const Tensor a = make_values<float>({2, 3});
  REQUIRE_THROWS_WITH(raw::concat({}, 0), Contains("concat: needs at least one tensor"));
  REQUIRE_THROWS_WITH(raw::concat({a, a, make_values<float>({3, 3})}, 1),
                      Contains("concat: tensor 2 has shape [3, 3], which does not match tensor 0's shape [2, 3] "
                               "outside dimension 1"));
  REQUIRE_THROWS_WITH(raw::concat({a, make_values<float>({2, 3, 1})}, 0), Contains("tensor 1 has shape [2, 3, 1]"));
  REQUIRE_THROWS_WITH(raw::concat({a, make_values<double>({2, 3})}, 0),
                      Contains("concat: tensor 1 has dtype float64 but tensor 0 has dtype float32"));
  REQUIRE_THROWS_WITH(raw::concat({a, Tensor()}, 0), Contains("concat: tensor 1 is undefined"));
  REQUIRE_THROWS_WITH(raw::concat({raw::select(from_vector<float>({1.0f}), 0, 0)}, 0), Contains("rank-0"));
  REQUIRE_THROWS_WITH(raw::concat({a}, 2), Contains("concat: axis 2 is out of range"));
}

TEMPLATE_TEST_CASE("stack matches the reference on every new dim with mixed layouts", "[index]", float, double) {
  const Shape shape{3, 4};
  std::vector<Tensor> parts;
  for (size_t i = 0; i < kLayouts.size(); ++i) {
    parts.push_back(make_input<TestType>(shape, kLayouts[i], static_cast<int64_t>(i)));
  }
  for (int64_t dim = 0; dim <= 2; ++dim) {
    INFO("dim " << dim);
    const Tensor out = raw::stack(parts, dim);
    Shape expected = shape;
    expected.insert(dim, 4);
    CHECK(out.shape() == expected);
    // stack == concat of the unsqueezed parts
    std::vector<Tensor> unsqueezed;
    for (const Tensor& p : parts) unsqueezed.push_back(raw::unsqueeze(p, dim));
    CHECK(values(out) == concat_ref(unsqueezed, dim, expected));
  }
  CHECK(values(raw::stack(parts, -1)) == values(raw::stack(parts, 2)));
}

TEST_CASE("stack of rank-0 tensors and of bools, and its errors", "[index]") {
  const Tensor s0 = raw::select(from_vector<double>({1.5}), 0, 0);
  const Tensor s1 = raw::select(from_vector<double>({2.5}), 0, 0);
  const Tensor s = raw::stack({s0, s1}, 0);
  CHECK(s.shape() == Shape{2});
  CHECK(values(s) == std::vector<double>{1.5, 2.5});
  CHECK(to_vector<int64_t>(raw::stack({from_vector<bool>({true, false}), from_vector<bool>({false, false})}, 1)) ==
        std::vector<int64_t>{1, 0, 0, 0});

  const Tensor a = make_values<float>({2, 3});
  REQUIRE_THROWS_WITH(raw::stack({}, 0), Contains("stack: needs at least one tensor"));
  REQUIRE_THROWS_WITH(raw::stack({a, make_values<float>({3, 2})}, 0),
                      Contains("stack: tensor 1 has shape [3, 2] but tensor 0 has shape [2, 3]"));
  REQUIRE_THROWS_WITH(raw::stack({a, from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3})}, 0),
                      Contains("stack: tensor 1 has dtype int64 but tensor 0 has dtype float32"));
  REQUIRE_THROWS_WITH(raw::stack({a}, 3), Contains("stack: axis 3 is out of range"));
}

TEST_CASE("split returns views of the pieces", "[index]") {
  const Tensor x = make_values<float>({4, 7});
  const auto pieces = raw::split(x, std::vector<int64_t>{2, 0, 5}, 1);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].shape() == Shape{4, 2});
  CHECK(pieces[1].shape() == Shape{4, 0});
  CHECK(pieces[2].shape() == Shape{4, 5});
  CHECK(values(raw::concat(pieces, 1)) == values(x));
  for (const Tensor& p : pieces) CHECK(p.storage() == x.storage());
  CHECK(values(pieces[2]) == index_select_ref(x, 1, {2, 3, 4, 5, 6}));

  const auto chunks = raw::split(x, 3, -1);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].shape() == Shape{4, 3});
  CHECK(chunks[2].shape() == Shape{4, 1});
  CHECK(chunks[2].storage() == x.storage());
  CHECK(values(chunks[1]) == index_select_ref(x, 1, {3, 4, 5}));

  const auto rows = raw::split(raw::transpose(x, 0, 1), 4, 0);  // strided input
  REQUIRE(rows.size() == 2);
  CHECK(values(rows[1]) == index_select_ref(raw::transpose(x, 0, 1), 0, {4, 5, 6}));

  CHECK(raw::split(x, 10, 0).size() == 1);
  CHECK(raw::split(make_values<float>({0, 2}), 2, 0).size() == 1);
}

TEMPLATE_TEST_CASE("split matches the reference on every layout and dim", "[index]", float, double) {
  const Shape shape{3, 4, 5};
  for (Layout layout : kLayouts) {
    const Tensor x = make_input<TestType>(shape, layout);
    for (int64_t dim = 0; dim < 3; ++dim) {
      INFO("layout " << layout_name(layout) << ", dim " << dim);
      const auto pieces = raw::split(x, 2, dim);
      REQUIRE(pieces.size() == static_cast<size_t>((shape[dim] + 1) / 2));
      for (size_t p = 0; p < pieces.size(); ++p) {
        const auto start = static_cast<int64_t>(p) * 2;
        Index idx;
        for (int64_t i = start; i < std::min<int64_t>(shape[dim], start + 2); ++i) idx.push_back(i);
        CHECK(pieces[p].storage() == x.storage());
        CHECK(values(pieces[p]) == index_select_ref(x, dim, idx));
      }
    }
  }
}

TEST_CASE("split rejects sizes that do not add up", "[index]") {
  const Tensor x = make_values<float>({4, 7});
  REQUIRE_THROWS_WITH(raw::split(x, std::vector<int64_t>{2, 4}, 1),
                      Contains("split: sizes [2, 4] add up to 6, but dimension 1 of shape [4, 7] has size 7"));
  REQUIRE_THROWS_WITH(raw::split(x, std::vector<int64_t>{5, -1}, 0), Contains("split: sizes must be non-negative"));
  REQUIRE_THROWS_WITH(raw::split(x, 0, 0), Contains("split: chunk size must be positive, got 0"));
  REQUIRE_THROWS_WITH(raw::split(x, 2, 2), Contains("split: axis 2 is out of range"));
}
