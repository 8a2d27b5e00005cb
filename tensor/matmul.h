// matmul.h — matrix products through OpenBLAS (cblas_sgemm / cblas_dgemm).
//
// Transposed views go to BLAS as transpose flags, not copies; other non-contiguous inputs are
// copied once. Batches of small matrices are split across qkv's worker threads (parallel.h),
// each calling BLAS on its own share, so qkv's threads and OpenBLAS's never compete.
// Raw ops: they record nothing for autograd.
#pragma once

#include "tensor/tensor.h"

namespace qkv::raw {

// torch.matmul semantics: 1-D operands are promoted (and the added dimension removed again),
// batch dimensions broadcast: (..., n, k) @ (..., k, m) -> (broadcast(...), n, m).
Tensor matmul(const Tensor& a, const Tensor& b);
// Strictly (B, n, k) @ (B, k, m) -> (B, n, m).
Tensor bmm(const Tensor& a, const Tensor& b);

}  // namespace qkv::raw
