// bf16_matmul_test.cpp — float32 products with bf16 products active (tensor/precision.h)
// against the naive product in double, within the error bf16 operands allow:
//
//   each operand is rounded to 8 significant bits: |δ| ≤ u = 2^-8, so a term a·b becomes
//   a·b·(1+δa)(1+δb), off by at most (2u + u²)·|a·b|; the product of two 8-bit significands is
//   exact in fp32, and summing k terms in fp32 adds at most about k·2^-24 of Σ|a·b|. So
//   |got - want| ≤ (2^-7 + 2^-16 + k·2^-23)·Σ|a·b| (the last term with a factor 2 to spare).
//
// The shapes are large enough for bf16 mode to use bf16 (bf16_pays: every side >= 16, m·n·k >=
// 2^18, the larger of bf16_min_product's two values); smaller products stay fp32, bit for bit. Plus: the products
// really are bf16 ones (equal, to fp32 rounding, to fp32 products of bf16-rounded operands, and farther from the exact
// product than fp32's bound), float64 stays exact, and the rounding itself. Without oneDNN or bf16 instructions the
// product cases are skipped with a warning (CPU) or check the refusal (no oneDNN).
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "tensor/bf16_gemm.h"
#include "tensor/bf16_here.h"
#include "tensor/factories.h"
#include "tensor/matmul.h"
#include "tensor/matmul_reference.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"

using namespace qkv;
using namespace qkv::test;
using Catch::Contains;

namespace {

double bf16_bound(int64_t k) { return std::ldexp(1.0, -7) + std::ldexp(1.0, -16) + k * std::ldexp(1.0, -23); }

void require_bf16_product(const Tensor& a, const Tensor& b) {
  const Tensor got = raw::matmul(a, b);
  const Expected want = naive_matmul(a, b);
  INFO(fmt::format("a {} strides {}, b {} strides {}", a.shape(), a.strides(), b.shape(), b.strides()));
  REQUIRE(got.shape() == want.shape);
  CHECK(worst_relative_error(got, want) <= bf16_bound(a.size(-1)));
}

// t with every element rounded to bfloat16 (still float32).
Tensor rounded_to_bf16(const Tensor& t) {
  std::vector<float> v = to_vector<float>(t);
  std::vector<uint16_t> r(v.size());
  blas::round_to_bf16(v.data(), r.data(), static_cast<int64_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = blas::bf16_to_float(r[i]);
  return from_vector(v, t.shape());
}

}  // namespace

TEST_CASE("round_to_bf16 rounds to nearest, ties to even, and keeps infinities and NaN", "[bf16]") {
  const float one_ulp = std::ldexp(1.0f, -7);  // bf16's spacing at 1
  const std::vector<float> in = {1.0f,
                                 1.0f + one_ulp / 2,          // a tie: to the even 1
                                 1.0f + 3 * one_ulp / 2,      // a tie: to the even 1 + 2 ulp
                                 1.0f + one_ulp / 2 + 1e-6f,  // past the tie: up
                                 -1.0f - one_ulp / 4,         // down in magnitude
                                 std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::max(),  // past bf16's largest (3.39e38): infinity
                                 0.0f};
  // 37 values: the vector loop (16 at a time) and the scalar tail both run.
  std::vector<float> many;
  for (int i = 0; i < 4; ++i) many.insert(many.end(), in.begin(), in.end());
  many.push_back(1.0f + one_ulp / 2);
  std::vector<uint16_t> out(many.size());
  blas::round_to_bf16(many.data(), out.data(), static_cast<int64_t>(many.size()));
  for (size_t i = 0; i < many.size(); i += in.size()) {
    const size_t left = std::min(in.size(), many.size() - i);
    const std::vector<float> want = {1.0f,     1.0f, 1.0f + 2 * one_ulp, 1.0f + one_ulp, -1.0f, INFINITY, NAN,
                                     INFINITY, 0.0f};
    for (size_t j = 0; j < left; ++j) {
      const float got = blas::bf16_to_float(out[i + j]);
      INFO("input " << many[i + j] << " -> " << got);
      if (std::isnan(want[j])) {
        CHECK(std::isnan(got));
      } else {
        CHECK(got == want[j]);
      }
    }
  }
}

TEST_CASE("bf16 products of 2-D operands in every layout agree with the exact product to bf16 precision",
          "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  Generator gen(11);
  const int64_t sizes[][3] = {{64, 72, 80}, {40, 300, 24}, {16, 1024, 16}, {200, 40, 36}};  // m, k, n
  for (const auto& mkn : sizes) {
    for (Layout la : kLayouts) {
      for (Layout lb : kLayouts) {
        INFO(fmt::format("m={} k={} n={} a:{} b:{}", mkn[0], mkn[1], mkn[2], layout_name(la), layout_name(lb)));
        require_bf16_product(make({mkn[0], mkn[1]}, la, Dtype::float32, gen),
                             make({mkn[1], mkn[2]}, lb, Dtype::float32, gen));
      }
    }
  }
}

TEST_CASE("bf16 products broadcast batch dimensions and take sliced operands", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  Generator gen(12);
  const Shape cases[][2] = {
      {{4, 40, 72}, {4, 72, 96}},    {{4, 40, 72}, {72, 96}},    {{40, 72}, {4, 72, 96}},
      {{2, 1, 40, 72}, {3, 72, 96}}, {{1, 40, 72}, {4, 72, 96}},
  };
  for (const auto& c : cases) {
    for (Layout la : kLayouts) {
      for (Layout lb : kLayouts) {
        INFO(fmt::format("a:{} {} b:{} {}", c[0], layout_name(la), c[1], layout_name(lb)));
        require_bf16_product(make(c[0], la, Dtype::float32, gen), make(c[1], lb, Dtype::float32, gen));
      }
    }
  }
  const Tensor shared = raw::expand(randn({1, 40, 72}, gen), {8, 40, 72});  // stride-0 batch
  const Tensor every_other = raw::slice(randn({8, 40, 72}, gen), 0, 0, 8, 2);
  require_bf16_product(shared, randn({8, 72, 96}, gen));
  require_bf16_product(every_other, randn({72, 96}, gen));
}

TEST_CASE("bf16 products split over qkv's threads agree with the exact product", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  const int saved = num_threads();
  set_num_threads(2);
  Generator gen(13);
  // Large enough for parallel_gemm to split rows (tall) and columns (wide) into blocks.
  require_bf16_product(randn({256, 128}, gen), randn({128, 96}, gen));
  require_bf16_product(randn({64, 128}, gen), raw::transpose(randn({512, 128}, gen), 0, 1));
  require_bf16_product(randn({6, 64, 64}, gen), randn({6, 64, 64}, gen));
  set_num_threads(saved);
}

TEST_CASE("a bf16 product split over qkv's threads multiplies the rounded operands in every block", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const int saved = num_threads();
  set_num_threads(2);
  Generator gen(17);
  // Rows split (tall C), then columns split (wide C): the operands are rounded once, and each
  // block multiplies its part of them, at an offset that depends on the layout.
  const int64_t sizes[][3] = {{256, 128, 96}, {64, 128, 512}};  // m, k, n
  for (const auto& mkn : sizes) {
    for (Layout la : kLayouts) {
      for (Layout lb : kLayouts) {
        INFO(fmt::format("m={} k={} n={} a:{} b:{}", mkn[0], mkn[1], mkn[2], layout_name(la), layout_name(lb)));
        const Tensor a = make({mkn[0], mkn[1]}, la, Dtype::float32, gen);
        const Tensor b = make({mkn[1], mkn[2]}, lb, Dtype::float32, gen);
        Tensor got;
        {
          const PrecisionGuard bf16(Precision::bf16);
          got = raw::matmul(a, b);
        }
        CHECK(worst_relative_error(got, naive_matmul(rounded_to_bf16(a), rounded_to_bf16(b))) <=
              mkn[1] * std::ldexp(1.0, -23));
      }
    }
  }
  set_num_threads(saved);
}

TEST_CASE("bf16 products are products of bf16-rounded operands, not fp32 ones", "[bf16][matmul]") {
  if (!bf16_here()) return;
  Generator gen(14);
  const int64_t k = 128;
  const Tensor a = randn({64, k}, gen);
  const Tensor b = randn({k, 48}, gen);
  const Expected exact = naive_matmul(a, b);
  const Tensor fp32_of_rounded = raw::matmul(rounded_to_bf16(a), rounded_to_bf16(b));
  Tensor bf16;
  {
    const PrecisionGuard guard(Precision::bf16);
    bf16 = raw::matmul(a, b);
  }
  CHECK(matmul_precision() == Precision::fp32);  // the guard restored it
  // The same products as fp32 ones of rounded operands, up to fp32 summation order ...
  const double fp32_sums = k * std::ldexp(1.0, -23);
  const Expected of_rounded = naive_matmul(rounded_to_bf16(a), rounded_to_bf16(b));
  CHECK(worst_relative_error(bf16, of_rounded) <= fp32_sums);
  CHECK(worst_relative_error(fp32_of_rounded, of_rounded) <= fp32_sums);
  // ... and farther from the exact product than fp32 products could be (so bf16 ran).
  CHECK(worst_relative_error(bf16, exact) > fp32_sums);
  CHECK(worst_relative_error(bf16, exact) <= bf16_bound(k));
}

TEST_CASE("products too small to gain from bf16 stay fp32, bit for bit", "[bf16][matmul]") {
  if (!bf16_here()) return;
  Generator gen(16);
  CHECK_FALSE(bf16_pays(1, 256, 256));  // a matrix-vector product (one decoding step's row)
  CHECK_FALSE(bf16_pays(16, 16, 16));   // a short sentence's attention tile
  CHECK(bf16_pays(64, 64, 64));
  // Lower where OpenBLAS's fp32 kernels are slower (AVX2 and narrower) than its AVX-512 ones.
  CHECK(bf16_min_product("Cooperlake") == int64_t{1} << 18);
  CHECK(bf16_min_product("SkylakeX") == int64_t{1} << 18);
  CHECK(bf16_min_product("Haswell") == int64_t{1} << 16);
  CHECK(bf16_min_product("Prescott") == int64_t{1} << 16);
  CHECK((bf16_min_product() == bf16_min_product("Cooperlake") || bf16_min_product() == bf16_min_product("Haswell")));
  for (const auto& [a, b] :
       {std::pair{randn({5, 7}, gen), randn({7, 3}, gen)}, std::pair{randn({1, 256}, gen), randn({256, 256}, gen)},
        std::pair{randn({16, 16, 16}, gen), randn({16, 16, 16}, gen)}}) {
    const Tensor fp32 = raw::matmul(a, b);
    const PrecisionGuard bf16(Precision::bf16);
    CHECK(to_vector<float>(raw::matmul(a, b)) == to_vector<float>(fp32));
  }
}

TEST_CASE("float64 products stay exact with bf16 products active", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  Generator gen(15);
  const Tensor a = randn({17, 33}, gen, Dtype::float64);
  const Tensor b = raw::transpose(randn({9, 33}, gen, Dtype::float64), 0, 1);
  CHECK(worst_relative_error(raw::matmul(a, b), naive_matmul(a, b)) <= 1e-13);
}

TEST_CASE("precision bf16 without oneDNN is refused naming what is missing", "[bf16]") {
  if (blas::bf16_gemm_built()) {
    const PrecisionGuard bf16(Precision::bf16);  // accepted (on a CPU without bf16: a note, fp32)
    CHECK(matmul_precision() == Precision::bf16);
    CHECK(bf16_products_active() == bf16_products_supported());
  } else {
    REQUIRE_THROWS_WITH(set_matmul_precision(Precision::bf16), Contains("qkv was built without oneDNN"));
    CHECK(matmul_precision() == Precision::fp32);
  }
  CHECK(parse_enum<Precision>("bf16", "--precision") == Precision::bf16);
  REQUIRE_THROWS_WITH(parse_enum<Precision>("fp16", "--precision"),
                      Contains("--precision: unknown precision 'fp16' (known: fp32, bf16)"));
}
