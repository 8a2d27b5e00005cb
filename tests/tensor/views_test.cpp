// views_test.cpp — view/reshape, transpose, permute, narrow, slice, select, squeeze/unsqueeze,
// expand and contiguous: shapes, shared storage, element values and error messages.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "tensor/factories.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

namespace {

using Values = std::vector<double>;

// 0, 1, ..., n-1 as float64 in `shape`.
Tensor iota(const Shape& shape) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return from_vector(v, shape);
}

Values values(const Tensor& t) { return to_vector<double>(t); }

}  // namespace

TEST_CASE("view reshapes a contiguous tensor in place, with -1 inferred", "[views]") {
  const Tensor x = iota({12});
  const Tensor a = raw::view(x, {3, 4});
  CHECK(a.shape() == Shape{3, 4});
  CHECK(a.strides() == Shape{4, 1});
  CHECK(a.storage() == x.storage());
  CHECK(values(a) == values(x));
  CHECK(raw::view(x, {-1, 6}).shape() == Shape{2, 6});
  CHECK(raw::view(x, {2, -1, 3}).shape() == Shape{2, 2, 3});
  CHECK(raw::view(x, {1, 12, 1}).shape() == Shape{1, 12, 1});
  CHECK(raw::view(raw::view(x, {3, 4}), {12}).storage() == x.storage());
  CHECK(raw::flatten(a).shape() == Shape{12});

  const Tensor one = raw::select(x, 0, 5);  // rank 0
  CHECK(raw::view(one, {1, 1}).shape() == Shape{1, 1});
  CHECK(raw::view(one, {1, 1}).item() == 5);
}

TEST_CASE("view rejects wrong sizes", "[views]") {
  const Tensor x = iota({12});
  REQUIRE_THROWS_WITH(raw::view(x, {5, 3}), Contains("view: shape [5, 3] (15 elements) does not match [12]"));
  REQUIRE_THROWS_WITH(raw::view(x, {-1, -1}), Contains("only one dimension can be -1"));
  REQUIRE_THROWS_WITH(raw::view(x, {-1, 5}), Contains("cannot infer -1"));
  REQUIRE_THROWS_WITH(raw::view(x, {-2, 6}), Contains("invalid size -2"));
}

TEST_CASE("view of a transposed tensor throws and points to reshape, which copies", "[views]") {
  const Tensor m = iota({3, 4});
  const Tensor t = raw::transpose(m, 0, 1);  // shape [4, 3], strides [1, 4]
  REQUIRE_THROWS_WITH(raw::view(t, {12}), Contains("reshape"));
  REQUIRE_THROWS_WITH(raw::view(t, {12}), Contains("cannot be viewed as [12] without copying"));

  const Tensor r = raw::reshape(t, {12});
  CHECK(r.storage() != m.storage());
  CHECK(r.is_contiguous());
  CHECK(values(r) == Values{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK(values(raw::reshape(t, {2, -1})) == values(r));

  // Views that keep the strided chunks intact are still possible.
  const Tensor u = raw::view(t, {4, 3, 1});
  CHECK(u.storage() == m.storage());
  CHECK(values(u) == values(t));
  const Tensor split_rows = raw::view(t, {2, 2, 3});
  CHECK(split_rows.storage() == m.storage());
  CHECK(values(split_rows) == values(t));

  // reshape of a contiguous tensor is a view.
  CHECK(raw::reshape(m, {6, 2}).storage() == m.storage());
}

TEST_CASE("transpose swaps shape and strides without copying", "[views]") {
  const Tensor x = iota({2, 3, 4});
  const Tensor t = raw::transpose(x, 0, -1);
  CHECK(t.shape() == Shape{4, 3, 2});
  CHECK(t.strides() == Shape{1, 4, 12});
  CHECK(t.storage() == x.storage());
  CHECK_FALSE(t.is_contiguous());
  const Values v = values(t);
  CHECK(v[1] == 12);  // t[0][0][1] = x[1][0][0]
  CHECK(v[2] == 4);   // t[0][1][0] = x[0][1][0]
  CHECK(values(raw::transpose(t, 0, 2)) == values(x));
  REQUIRE_THROWS_WITH(raw::transpose(x, 0, 3), Contains("transpose: axis 3 is out of range for a tensor of rank 3"));
}

TEST_CASE("permute reorders dimensions", "[views]") {
  const Tensor x = iota({2, 3, 4});
  const Tensor p = raw::permute(x, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.storage() == x.storage());
  const Values xv = values(x);
  const Values pv = values(p);
  for (int64_t a = 0; a < 4; ++a) {
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t c = 0; c < 3; ++c) {
        CHECK(pv[static_cast<size_t>((a * 2 + b) * 3 + c)] == xv[static_cast<size_t>((b * 3 + c) * 4 + a)]);
      }
    }
  }
  CHECK(raw::permute(x, {-1, 0, 1}).shape() == Shape{4, 2, 3});
  REQUIRE_THROWS_WITH(raw::permute(x, {0, 1}), Contains("permute: 2 axes given for a tensor of rank 3"));
  REQUIRE_THROWS_WITH(raw::permute(x, {0, 1, 0}), Contains("permute: axis 0 repeated"));
}

TEST_CASE("narrow keeps a window of one dimension", "[views]") {
  const Tensor x = iota({3, 5});
  const Tensor n = raw::narrow(x, 1, 1, 3);
  CHECK(n.shape() == Shape{3, 3});
  CHECK(n.offset() == 1);
  CHECK(n.storage() == x.storage());
  CHECK(values(n) == Values{1, 2, 3, 6, 7, 8, 11, 12, 13});
  CHECK(values(raw::narrow(x, -2, 2, 1)) == Values{10, 11, 12, 13, 14});
  CHECK(raw::narrow(x, 0, 3, 0).numel() == 0);
  REQUIRE_THROWS_WITH(raw::narrow(x, 1, 3, 3),
                      Contains("narrow: range [3, 6) is outside dimension 1 of size 5 (shape [3, 5])"));
}

TEST_CASE("slice handles steps, negative bounds and clamping", "[views]") {
  const Tensor x = iota({10});
  CHECK(values(raw::slice(x, 0, 2, 9, 3)) == Values{2, 5, 8});
  CHECK(values(raw::slice(x, 0, 2, 10, 3)) == Values{2, 5, 8});
  CHECK(values(raw::slice(x, 0, -3, 10)) == Values{7, 8, 9});
  CHECK(values(raw::slice(x, 0, 0, -8)) == Values{0, 1});
  CHECK(values(raw::slice(x, 0, 8, 100)) == Values{8, 9});
  CHECK(values(raw::slice(x, 0, -100, 2)) == Values{0, 1});
  CHECK(raw::slice(x, 0, 6, 3).numel() == 0);
  CHECK(raw::slice(x, 0, 2, 9, 3).storage() == x.storage());

  const Tensor m = iota({3, 6});
  const Tensor s = raw::slice(m, 1, 1, 6, 2);
  CHECK(s.shape() == Shape{3, 3});
  CHECK(s.strides() == Shape{6, 2});
  CHECK(values(s) == Values{1, 3, 5, 7, 9, 11, 13, 15, 17});
  CHECK(values(raw::slice(s, 0, 1, 3, 2)) == Values{7, 9, 11});  // a slice of a slice
  REQUIRE_THROWS_WITH(raw::slice(x, 0, 0, 5, 0), Contains("slice: step must be positive, got 0"));
}

TEST_CASE("select removes a dimension", "[views]") {
  const Tensor x = iota({3, 4});
  const Tensor row = raw::select(x, 0, 1);
  CHECK(row.shape() == Shape{4});
  CHECK(row.storage() == x.storage());
  CHECK(values(row) == Values{4, 5, 6, 7});
  CHECK(values(raw::select(x, 1, -1)) == Values{3, 7, 11});
  CHECK(raw::select(row, 0, 2).item() == 6);
  REQUIRE_THROWS_WITH(raw::select(x, 0, 3), Contains("select: index 3 is out of range for dimension 0 of size 3"));
  REQUIRE_THROWS_WITH(raw::select(x, 1, -5), Contains("index -5 is out of range for dimension 1 of size 4"));
}

TEST_CASE("squeeze and unsqueeze add and drop size-1 dimensions", "[views]") {
  const Tensor x = iota({2, 1, 3, 1});
  CHECK(raw::squeeze(x).shape() == Shape{2, 3});
  CHECK(raw::squeeze(x, 1).shape() == Shape{2, 3, 1});
  CHECK(raw::squeeze(x, -1).shape() == Shape{2, 1, 3});
  CHECK(raw::squeeze(x, 0).shape() == x.shape());  // not size 1: unchanged
  CHECK(raw::squeeze(x).storage() == x.storage());
  CHECK(values(raw::squeeze(x)) == values(x));

  const Tensor y = iota({2, 3});
  CHECK(raw::unsqueeze(y, 0).shape() == Shape{1, 2, 3});
  CHECK(raw::unsqueeze(y, 1).shape() == Shape{2, 1, 3});
  CHECK(raw::unsqueeze(y, 2).shape() == Shape{2, 3, 1});
  CHECK(raw::unsqueeze(y, -1).shape() == Shape{2, 3, 1});
  CHECK(raw::unsqueeze(y, 1).is_contiguous());
  CHECK(raw::unsqueeze(y, 1).storage() == y.storage());
  CHECK(values(raw::unsqueeze(raw::transpose(y, 0, 1), 1)) == values(raw::transpose(y, 0, 1)));
  REQUIRE_THROWS_WITH(raw::unsqueeze(y, 3), Contains("unsqueeze: axis 3 is out of range"));
}

TEST_CASE("expand repeats size-1 dimensions with stride 0", "[views]") {
  const Tensor col = iota({3, 1});
  const Tensor e = raw::expand(col, {2, 3, 4});
  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.strides() == Shape{0, 1, 0});
  CHECK(e.storage() == col.storage());
  CHECK(values(e) == Values{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  CHECK(raw::expand(col, {-1, 5}).shape() == Shape{3, 5});
  CHECK(raw::broadcast_to(col, {3, 2}).shape() == Shape{3, 2});
  REQUIRE_THROWS_WITH(raw::expand(col, {4, 4}), Contains("expand: cannot expand [3, 1] to [4, 4]"));
  REQUIRE_THROWS_WITH(raw::expand(col, {3}), Contains("cannot expand shape [3, 1] to fewer dimensions"));
}

TEST_CASE("contiguous copies only when needed", "[views]") {
  const Tensor x = iota({3, 4});
  CHECK(raw::contiguous(x).storage() == x.storage());
  const Tensor t = raw::transpose(x, 0, 1);
  const Tensor c = raw::contiguous(t);
  CHECK(c.storage() != x.storage());
  CHECK(c.is_contiguous());
  CHECK(c.strides() == Shape{3, 1});
  CHECK(values(c) == values(t));
  const Tensor e = raw::contiguous(raw::expand(iota({1, 2}), {3, 2}));
  CHECK(e.strides() == Shape{2, 1});
  CHECK(values(e) == Values{0, 1, 0, 1, 0, 1});
  // Size-1 dimensions do not break contiguity whatever their stride.
  CHECK(x.as_strided({1, 4}, {100, 1}, 0).is_contiguous());
  CHECK(raw::narrow(x, 0, 1, 1).is_contiguous());
  CHECK_FALSE(raw::narrow(x, 1, 1, 2).is_contiguous());
}
