// per_head.cpp — a per-head matrix product with the batch folded into the rows (per_head.h).
#include "nn/attention/per_head.h"

#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "tensor/error.h"

namespace qkv {

Tensor per_head_matmul(const Tensor& x, const Tensor& w) {
  check(x.dim() == 4 && w.dim() == 3 && x.size(1) == w.size(0) && x.size(3) == w.size(1),
        "per_head_matmul: need x (B, H, T, D) and w (H, D, E), got {} and {}", x.shape(), w.shape());
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3), E = w.size(2);
  const Tensor rows = reshape(transpose(x, 0, 1), {H, B * T, D});  // (H, B·T, D)
  const Tensor out = matmul(rows, w);                              // (H, B·T, E)
  return transpose(reshape(out, {H, B, T, E}), 0, 1);              // (B, H, T, E)
}

}  // namespace qkv
