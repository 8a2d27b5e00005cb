// bf16_rounded_once_test.cpp — operands rounded to bf16 once for several products
// (blas::RoundedOnce, blas::Operand): a product that reads the copies gives what the same
// product gives when it rounds its operands itself, bit for bit, in every layout, split by rows
// or by columns or not at all; in fp32 mode a RoundedOnce holds nothing and changes nothing.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "tensor/bf16_gemm.h"
#include "tensor/bf16_here.h"
#include "tensor/blas.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"
#include "tensor/random.h"

using namespace qkv;
using namespace qkv::test;

namespace {

// A stored matrix of rows × cols floats with row stride ld ≥ cols (the gap holds NaN, which
// must never be read).
struct Stored {
  int64_t rows, cols, ld;
  std::vector<float> values;
  Stored(int64_t r, int64_t c, int64_t pad, Generator& gen) : rows(r), cols(c), ld(c + pad) {
    const std::vector<float> v = to_vector<float>(randn({r, c}, gen));
    values.assign(static_cast<size_t>(r * ld), std::numeric_limits<float>::quiet_NaN());
    for (int64_t i = 0; i < r; ++i) {
      for (int64_t j = 0; j < c; ++j) values[static_cast<size_t>(i * ld + j)] = v[static_cast<size_t>(i * c + j)];
    }
  }
};

// C = op(A)·op(B) (m×n) three ways: each operand rounded by the product, A given rounded, B
// given rounded, both given; returns the four results.
std::vector<std::vector<float>> four_ways(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t pad,
                                          Generator& gen) {
  const Stored a(trans_a ? k : m, trans_a ? m : k, pad, gen), b(trans_b ? n : k, trans_b ? k : n, pad, gen);
  const blas::RoundedOnce<float> a_once(a.values.data(), a.rows, a.cols, a.ld);
  const blas::RoundedOnce<float> b_once(b.values.data(), b.rows, b.cols, b.ld);
  const blas::Operand<float> a_plain{a.values.data(), a.ld}, b_plain{b.values.data(), b.ld};
  std::vector<std::vector<float>> results;
  for (const auto& [oa, ob] : {std::pair{a_plain, b_plain}, std::pair{a_once.operand(), b_plain},
                               std::pair{a_plain, b_once.operand()}, std::pair{a_once.operand(), b_once.operand()}}) {
    std::vector<float> c(static_cast<size_t>(m * n), 0.5f);  // beta = 1 adds to it
    blas::parallel_gemm(trans_a, trans_b, m, n, k, 1.0f, oa, ob, 1.0f, c.data(), n);
    results.push_back(std::move(c));
  }
  return results;
}

}  // namespace

TEST_CASE("operands rounded once give a bf16 product's own rounding, bit for bit", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  const int saved = num_threads();
  Generator gen(21);
  // m, n, k: tall C (split by rows), wide C (split by columns), both with a last block shorter
  // than the others at 3 threads; and, on one thread, not split.
  const int64_t sizes[][3] = {{256, 96, 128}, {64, 512, 128}, {250, 96, 64}, {48, 500, 96}};
  for (int threads : {2, 3, 1}) {
    set_num_threads(threads);
    for (const auto& mnk : sizes) {
      for (bool trans_a : {false, true}) {
        for (bool trans_b : {false, true}) {
          for (int64_t pad : {0, 5}) {
            INFO("threads " << threads << ", m n k " << mnk[0] << " " << mnk[1] << " " << mnk[2] << ", trans_a "
                            << trans_a << ", trans_b " << trans_b << ", row padding " << pad);
            const auto r = four_ways(trans_a, trans_b, mnk[0], mnk[1], mnk[2], pad, gen);
            CHECK(r[1] == r[0]);
            CHECK(r[2] == r[0]);
            CHECK(r[3] == r[0]);
          }
        }
      }
    }
  }
  set_num_threads(saved);
}

TEST_CASE("a product inside a parallel loop reads the operands' copies too", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  Generator gen(23);
  constexpr int64_t rows = 64, n = 80, k = 64;  // each half: 327,680 multiply-adds, bf16 ones
  REQUIRE(bf16_pays(rows, n, k));
  const Stored a(2 * rows, k, 0, gen), b(k, n, 3, gen);
  std::vector<float> own(2 * rows * n), given(2 * rows * n);
  for (int64_t half = 0; half < 2; ++half) {  // each half rounding its operands itself
    blas::parallel_gemm(false, false, rows, n, k, 1.0f, a.values.data() + half * rows * a.ld, a.ld, b.values.data(),
                        b.ld, 0.0f, own.data() + half * rows * n, n);
  }
  const blas::RoundedOnce<float> b_once(b.values.data(), b.rows, b.cols, b.ld);
  parallel_for(2, 1, [&](int64_t begin, int64_t end) {  // the same halves, one per task
    for (int64_t half = begin; half < end; ++half) {
      blas::parallel_gemm(false, false, rows, n, k, 1.0f, {a.values.data() + half * rows * a.ld, a.ld},
                          b_once.operand(), 0.0f, given.data() + half * rows * n, n);
    }
  });
  CHECK(given == own);
}

TEST_CASE("a bf16 product reads the copy an operand comes with, not its data", "[bf16][matmul]") {
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  Generator gen(24);
  const Stored a(128, 96, 0, gen), b(96, 64, 0, gen), other_b(96, 64, 0, gen);
  const blas::RoundedOnce<float> other_once(other_b.values.data(), other_b.rows, other_b.cols, other_b.ld);
  // b's data, other_b's copy: the product must be a·other_b.
  const blas::Operand<float> mixed{b.values.data(), b.ld, other_once.operand().bf16, other_b.cols};
  std::vector<float> want(128 * 64), got(128 * 64);
  blas::parallel_gemm(false, false, 128, 64, 96, 1.0f, a.values.data(), a.ld, other_b.values.data(), other_b.ld, 0.0f,
                      want.data(), 64);
  blas::parallel_gemm(false, false, 128, 64, 96, 1.0f, {a.values.data(), a.ld}, mixed, 0.0f, got.data(), 64);
  CHECK(got == want);
}

TEST_CASE("a RoundedOnce holds the bf16 values in bf16 mode and nothing in fp32 mode", "[bf16]") {
  Generator gen(22);
  const Stored w(7, 20, 3, gen);
  {
    const PrecisionGuard fp32_mode(Precision::fp32);
    const blas::RoundedOnce<float> fp32(w.values.data(), w.rows, w.cols, w.ld);
    CHECK(fp32.operand().bf16 == nullptr);
    CHECK(fp32.operand().data == w.values.data());
    CHECK(fp32.operand().ld == w.ld);
  }
  const blas::RoundedOnce<double> never(nullptr, 4, 4, 4);
  CHECK(never.operand().bf16 == nullptr);
  if (!bf16_here()) return;
  const PrecisionGuard bf16(Precision::bf16);
  const blas::RoundedOnce<float> once(w.values.data(), w.rows, w.cols, w.ld);
  const blas::Operand<float> op = once.operand();
  REQUIRE(op.bf16 != nullptr);
  CHECK(op.bf16_ld == w.cols);
  for (int64_t i = 0; i < w.rows; ++i) {
    std::vector<uint16_t> want(static_cast<size_t>(w.cols));
    blas::round_to_bf16(w.values.data() + i * w.ld, want.data(), w.cols);
    CHECK(std::vector<uint16_t>(op.bf16 + i * w.cols, op.bf16 + (i + 1) * w.cols) == want);
  }
}
