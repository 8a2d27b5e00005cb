// matmul_test.cpp — raw::matmul and raw::bmm against a naive triple loop in double: every rank
// combination, transposed / sliced / narrowed / broadcast operands, float32 and float64, the
// threaded batch path, zero-size dimensions and the error messages.
#include <catch2/catch.hpp>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/factories.h"
#include "tensor/matmul.h"
#include "tensor/matmul_reference.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/views.h"

using namespace qkv;
using Catch::Contains;

namespace {

using namespace qkv::test;

double tolerance(Dtype dtype) { return dtype == Dtype::float32 ? 1e-5 : 1e-13; }

// Checks got against the naive product: shape, dtype, contiguity and values.
void require_product(const Tensor& got, const Tensor& a, const Tensor& b) {
  const Expected want = naive_matmul(a, b);
  INFO("a " << fmt::format("{} strides {}", a.shape(), a.strides()) << ", b "
            << fmt::format("{} strides {}", b.shape(), b.strides()) << ", got " << fmt::format("{}", got.shape()));
  REQUIRE(got.shape() == want.shape);
  REQUIRE(got.dtype() == a.dtype());
  REQUIRE(got.is_contiguous());
  CHECK(worst_relative_error(got, want) <= tolerance(a.dtype()));
}

const Dtype kFloatDtypes[] = {Dtype::float32, Dtype::float64};

// Sets qkv's thread count for one scope.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

}  // namespace

TEST_CASE("matmul of 2-D operands in every layout matches the naive product", "[matmul]") {
  Generator gen(1);
  const int64_t sizes[][3] = {{5, 7, 3}, {1, 9, 4}, {6, 1, 5}, {4, 6, 1}, {33, 17, 20}};
  for (Dtype dtype : kFloatDtypes) {
    for (const auto& mkn : sizes) {
      const int64_t m = mkn[0];
      const int64_t k = mkn[1];
      const int64_t n = mkn[2];
      for (Layout la : kLayouts) {
        for (Layout lb : kLayouts) {
          INFO(fmt::format("{} m={} k={} n={} a:{} b:{}", dtype, m, k, n, layout_name(la), layout_name(lb)));
          const Tensor a = make({m, k}, la, dtype, gen);
          const Tensor b = make({k, n}, lb, dtype, gen);
          require_product(raw::matmul(a, b), a, b);
        }
      }
    }
  }
}

TEST_CASE("matmul with 1-D operands promotes and drops the added dimension", "[matmul]") {
  Generator gen(2);
  for (Dtype dtype : kFloatDtypes) {
    INFO(fmt::format("{}", dtype));
    const Tensor v = randn({6}, gen, dtype);
    const Tensor w = randn({6}, gen, dtype);
    const Tensor v_step2 = raw::slice(randn({12}, gen, dtype), 0, 0, 12, 2);
    const Tensor m = randn({6, 4}, gen, dtype);
    const Tensor mt = raw::transpose(randn({4, 6}, gen, dtype), 0, 1);
    const Tensor n = randn({3, 6}, gen, dtype);
    const Tensor batched = randn({2, 6, 5}, gen, dtype);

    const Tensor dot = raw::matmul(v, w);  // 1-D @ 1-D -> scalar
    CHECK(dot.dim() == 0);
    require_product(dot, v, w);
    require_product(raw::matmul(v_step2, w), v_step2, w);
    require_product(raw::matmul(v, v_step2), v, v_step2);
    CHECK(raw::matmul(v, m).shape() == Shape{4});  // 1-D @ 2-D
    require_product(raw::matmul(v, m), v, m);
    require_product(raw::matmul(v_step2, mt), v_step2, mt);
    CHECK(raw::matmul(n, v).shape() == Shape{3});  // 2-D @ 1-D
    require_product(raw::matmul(n, v), n, v);
    require_product(raw::matmul(raw::transpose(m, 0, 1), v_step2), raw::transpose(m, 0, 1), v_step2);
    CHECK(raw::matmul(v, batched).shape() == Shape{2, 5});  // 1-D @ 3-D
    require_product(raw::matmul(v, batched), v, batched);
    const Tensor batched_t = raw::transpose(batched, 1, 2);
    CHECK(raw::matmul(batched_t, v_step2).shape() == Shape{2, 5});  // 3-D @ 1-D
    require_product(raw::matmul(batched_t, v_step2), batched_t, v_step2);
    require_product(raw::matmul(batched, raw::narrow(v, 0, 0, 5)), batched, raw::narrow(v, 0, 0, 5));
  }
}

TEST_CASE("matmul broadcasts batch dimensions in every layout", "[matmul]") {
  Generator gen(3);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{4, 5, 6}, {4, 6, 3}},        // equal batches
      {{4, 5, 6}, {6, 3}},           // 3-D @ 2-D (one tall product when a's rows stack)
      {{5, 6}, {4, 6, 3}},           // 2-D @ 3-D
      {{2, 1, 5, 6}, {3, 6, 7}},     // broadcast to [2, 3]
      {{1, 5, 6}, {4, 6, 3}},        // size-1 batch broadcast
      {{3, 1, 2, 4, 5}, {2, 5, 4}},  // rank 5 @ rank 3
  };
  for (Dtype dtype : kFloatDtypes) {
    for (const Case& c : cases) {
      for (Layout la : kLayouts) {
        for (Layout lb : kLayouts) {
          INFO(fmt::format("{} a:{} {} b:{} {}", dtype, c.a, layout_name(la), c.b, layout_name(lb)));
          const Tensor a = make(c.a, la, dtype, gen);
          const Tensor b = make(c.b, lb, dtype, gen);
          require_product(raw::matmul(a, b), a, b);
        }
      }
    }
  }
}

TEST_CASE("matmul takes expanded (stride-0) and batch-sliced operands", "[matmul]") {
  Generator gen(4);
  for (Dtype dtype : kFloatDtypes) {
    INFO(fmt::format("{}", dtype));
    // A matrix shared by the whole batch, broadcast with stride 0 (no copy needed).
    const Tensor shared = raw::expand(randn({1, 5, 6}, gen, dtype), {8, 5, 6});
    const Tensor per_batch = randn({8, 6, 4}, gen, dtype);
    require_product(raw::matmul(shared, per_batch), shared, per_batch);
    require_product(raw::bmm(shared, per_batch), shared, per_batch);
    const Tensor shared_right = raw::expand(randn({6, 4}, gen, dtype), {8, 6, 4});
    const Tensor left = randn({8, 5, 6}, gen, dtype);
    require_product(raw::matmul(left, shared_right), left, shared_right);
    require_product(raw::bmm(left, shared_right), left, shared_right);
    // Stride 0 inside the matrix: one row repeated (must be copied).
    const Tensor repeated_row = raw::expand(randn({1, 6}, gen, dtype), {5, 6});
    const Tensor repeated_col = raw::expand(randn({6, 1}, gen, dtype), {6, 4});
    require_product(raw::matmul(repeated_row, repeated_col), repeated_row, repeated_col);
    // Every other matrix of a batch: batch stride that does not stack the rows.
    const Tensor every_other = raw::slice(randn({8, 5, 6}, gen, dtype), 0, 0, 8, 2);
    const Tensor right = randn({6, 3}, gen, dtype);
    require_product(raw::matmul(every_other, right), every_other, right);
    // Permuted batch dims.
    const Tensor permuted = raw::permute(randn({5, 3, 6}, gen, dtype), {1, 0, 2});
    require_product(raw::matmul(permuted, right), permuted, right);
  }
}

TEST_CASE("bmm matches the naive product in every layout", "[matmul]") {
  Generator gen(5);
  for (Dtype dtype : kFloatDtypes) {
    for (Layout la : kLayouts) {
      for (Layout lb : kLayouts) {
        INFO(fmt::format("{} a:{} b:{}", dtype, layout_name(la), layout_name(lb)));
        const Tensor a = make({3, 7, 5}, la, dtype, gen);
        const Tensor b = make({3, 5, 4}, lb, dtype, gen);
        const Tensor c = raw::bmm(a, b);
        CHECK(c.shape() == Shape{3, 7, 4});
        require_product(c, a, b);
      }
    }
  }
}

TEST_CASE("products run on qkv's threads with OpenBLAS single-threaded", "[matmul]") {
  Generator gen(6);
  openblas_set_num_threads(2);  // as OPENBLAS_NUM_THREADS=2 would: qkv must take it back to 1
  for (int threads : {1, 2, 3}) {
    ThreadCount scope(threads);
    for (Dtype dtype : kFloatDtypes) {
      INFO(fmt::format("{} threads, {}", threads, dtype));
      // Many small products: whole products spread over the threads.
      const Tensor a = randn({37, 16, 24}, gen, dtype);
      const Tensor b = raw::transpose(randn({37, 8, 24}, gen, dtype), 1, 2);
      require_product(raw::bmm(a, b), a, b);
      const Tensor shared = raw::expand(randn({8, 24}, gen, dtype), {37, 8, 24});
      const Tensor a_t = raw::transpose(a, 1, 2);
      require_product(raw::matmul(shared, a_t), shared, a_t);
      // A few large products (m·n·k > grain::kSplitGemm): one after another, each split.
      const Tensor big_a = randn({3, 130, 140}, gen, dtype);
      const Tensor big_b = randn({3, 140, 120}, gen, dtype);
      require_product(raw::bmm(big_a, big_b), big_a, big_b);
      // One large product split by rows (tall), with a transposed left operand.
      const Tensor x = raw::transpose(randn({150, 200}, gen, dtype), 0, 1);
      const Tensor y = randn({150, 100}, gen, dtype);
      require_product(raw::matmul(x, y), x, y);
      // One split by columns (wide), with a transposed right operand.
      const Tensor u = randn({40, 300}, gen, dtype);
      const Tensor w = raw::transpose(randn({410, 300}, gen, dtype), 0, 1);
      require_product(raw::matmul(u, w), u, w);
      CHECK(openblas_get_num_threads() == 1);
    }
  }
}

TEST_CASE("matmul inside a parallel_for body is correct", "[matmul]") {
  Generator gen(7);
  ThreadCount scope(2);
  const Tensor a = randn({6, 20, 30}, gen);
  const Tensor b = randn({6, 30, 10}, gen);
  std::vector<Tensor> results(6);
  parallel_for(6, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      results[static_cast<size_t>(i)] = raw::matmul(raw::select(a, 0, i), raw::select(b, 0, i));
    }
  });
  for (int64_t i = 0; i < 6; ++i) {
    require_product(results[static_cast<size_t>(i)], raw::select(a, 0, i), raw::select(b, 0, i));
  }
  // A batched product inside a body (its own batch split then runs serially). Catch2's
  // assertions are not thread-safe, so results are checked after the parallel_for.
  const int blas_threads = openblas_get_num_threads();
  std::vector<Tensor> batched(2);
  parallel_for(2, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) batched[static_cast<size_t>(i)] = raw::bmm(a, b);
  });
  for (const Tensor& c : batched) require_product(c, a, b);
  CHECK(openblas_get_num_threads() == blas_threads);
}

TEST_CASE("matmul handles zero-size dimensions", "[matmul]") {
  for (Dtype dtype : kFloatDtypes) {
    INFO(fmt::format("{}", dtype));
    const Tensor k0 = raw::matmul(Tensor::empty({2, 0}, dtype), Tensor::empty({0, 3}, dtype));
    CHECK(k0.shape() == Shape{2, 3});
    CHECK(to_vector<double>(k0) == std::vector<double>(6, 0.0));  // an empty sum is 0
    const Tensor k0_batched = raw::bmm(Tensor::empty({4, 2, 0}, dtype), Tensor::empty({4, 0, 3}, dtype));
    CHECK(to_vector<double>(k0_batched) == std::vector<double>(24, 0.0));
    CHECK(raw::matmul(Tensor::empty({0}, dtype), Tensor::empty({0}, dtype)).item() == 0.0);
    CHECK(raw::matmul(Tensor::empty({0, 3}, dtype), Tensor::empty({3, 4}, dtype)).shape() == Shape{0, 4});
    CHECK(raw::matmul(Tensor::empty({3, 4}, dtype), Tensor::empty({4, 0}, dtype)).shape() == Shape{3, 0});
    CHECK(raw::matmul(Tensor::empty({0, 2, 3}, dtype), Tensor::empty({3, 4}, dtype)).shape() == Shape{0, 2, 4});
    CHECK(raw::bmm(Tensor::empty({0, 2, 3}, dtype), Tensor::empty({0, 3, 4}, dtype)).shape() == Shape{0, 2, 4});
  }
}

TEST_CASE("matmul and bmm report bad operands", "[matmul]") {
  Generator gen(8);
  REQUIRE_THROWS_WITH(raw::matmul(randn({2, 3}, gen), randn({4, 5}, gen)),
                      Contains("matmul: inner dimensions differ: [2, 3] @ [4, 5]"));
  REQUIRE_THROWS_WITH(raw::matmul(randn({3}, gen), randn({4}, gen)),
                      Contains("matmul: inner dimensions differ: [3] @ [4]"));
  REQUIRE_THROWS_WITH(raw::matmul(randn({3}, gen), randn({2, 4, 5}, gen)),
                      Contains("matmul: inner dimensions differ: [3] @ [2, 4, 5]"));
  REQUIRE_THROWS_WITH(raw::matmul(scalar(2), randn({3}, gen)),
                      Contains("matmul: both operands need at least one dimension"));
  REQUIRE_THROWS_WITH(raw::matmul(randn({3, 3}, gen), scalar(2)), Contains("got shapes [3, 3] and []"));
  REQUIRE_THROWS_WITH(raw::matmul(randn({2, 3, 4}, gen), randn({3, 4, 5}, gen)),
                      Contains("matmul: batch dimensions do not broadcast: [2, 3, 4] @ [3, 4, 5]"));
  REQUIRE_THROWS_WITH(raw::matmul(arange(6, Dtype::int64), arange(6, Dtype::int64)),
                      Contains("matmul: needs float32 or float64 tensors, got int64"));
  REQUIRE_THROWS_WITH(raw::matmul(Tensor::empty({2, 2}, Dtype::bool_), Tensor::empty({2, 2}, Dtype::bool_)),
                      Contains("matmul: needs float32 or float64 tensors, got bool"));
  REQUIRE_THROWS_WITH(raw::matmul(randn({2, 3}, gen, Dtype::float32), randn({3, 2}, gen, Dtype::float64)),
                      Contains("matmul: dtypes differ: float32 and float64"));
  REQUIRE_THROWS_WITH(raw::matmul(Tensor(), randn({3}, gen)), Contains("matmul: an operand is undefined"));

  REQUIRE_THROWS_WITH(raw::bmm(randn({2, 3}, gen), randn({3, 2}, gen)),
                      Contains("bmm: needs two 3-D tensors, got shapes [2, 3] and [3, 2]"));
  REQUIRE_THROWS_WITH(raw::bmm(randn({2, 3, 4}, gen), randn({3, 4, 5}, gen)),
                      Contains("bmm: batch sizes differ: [2, 3, 4] @ [3, 4, 5]"));
  REQUIRE_THROWS_WITH(raw::bmm(randn({2, 3, 4}, gen), randn({2, 5, 4}, gen)),
                      Contains("bmm: inner dimensions differ: [2, 3, 4] @ [2, 5, 4]"));
  REQUIRE_THROWS_WITH(raw::bmm(arange(8, Dtype::int64).as_strided({2, 2, 2}, {4, 2, 1}, 0),
                               arange(8, Dtype::int64).as_strided({2, 2, 2}, {4, 2, 1}, 0)),
                      Contains("bmm: needs float32 or float64 tensors, got int64"));
}
