// bf16_here.h — bf16_here(): whether this machine runs bf16 matrix products, for the bf16 tests.
// Where it does not, it checks what such a machine is promised instead (bf16 mode gives the
// fp32 products bit for bit) and says so, so a case that then returns has still tested something.
#pragma once

#include <catch2/catch.hpp>

#include <vector>

#include "tensor/bf16_gemm.h"
#include "tensor/factories.h"
#include "tensor/matmul.h"
#include "tensor/precision.h"
#include "tensor/random.h"

namespace qkv::test {

inline bool bf16_here() {
  if (bf16_products_supported()) return true;
  // Not a skip: what such a machine promises is checked instead. bf16 mode runs the fp32
  // products there, bit for bit.
  WARN("bf16 products not available here (" << bf16_unsupported_reason() << "): checking the fp32 fallback instead");
  Generator gen(3);
  const Tensor a = randn({70, 96}, gen), b = randn({96, 80}, gen);
  const std::vector<float> fp32 = to_vector<float>(raw::matmul(a, b));
  std::vector<float> asked_bf16;
  if (blas::bf16_gemm_built()) {
    const PrecisionGuard bf16(Precision::bf16);
    asked_bf16 = to_vector<float>(raw::matmul(a, b));
  } else {
    asked_bf16 = fp32;  // without oneDNN bf16 is refused (tested below), fp32 is all there is
  }
  CHECK(asked_bf16 == fp32);
  return false;
}

}  // namespace qkv::test
