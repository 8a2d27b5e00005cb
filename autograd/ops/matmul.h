// matmul.h — differentiable matrix products (forward through OpenBLAS, tensor/matmul.h).
#pragma once

#include "tensor/tensor.h"

namespace qkv {

// torch.matmul semantics (1-D promotion, broadcast batch dims).   dA = dC·Bᵀ, dB = Aᵀ·dC
// (x of shape (..., K) times a 2-D weight (K, N) runs as one (rows, K)·(K, N) product.)
Tensor matmul(const Tensor& a, const Tensor& b);
// (B, n, k) @ (B, k, m) -> (B, n, m).                              dA = dC·Bᵀ, dB = Aᵀ·dC
Tensor bmm(const Tensor& a, const Tensor& b);

}  // namespace qkv
