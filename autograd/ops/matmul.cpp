// matmul.cpp — forward and backward of matmul and bmm.
#include "autograd/ops/matmul.h"

#include "autograd/ops/views.h"
#include "autograd/record.h"
#include "tensor/matmul.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// The product of two operands of rank >= 2 (batch dims broadcast). The engine sums the
// gradient of a broadcast operand over the batch dims it was broadcast across.
Tensor matmul_batched(std::string_view op, const Tensor& a, const Tensor& b) {
  Tensor c = op == "bmm" ? raw::bmm(a, b) : raw::matmul(a, b);
  if (needs_grad(a, b)) {
    const bool need_a = a.requires_grad();
    const bool need_b = b.requires_grad();
    record(op, c, {a, b},
           [sa = save(op, need_b ? a : Tensor()), sb = save(op, need_a ? b : Tensor()), need_a,
            need_b](const Tensor& dc) -> Grads {
             Tensor da = need_a ? raw::matmul(dc, raw::transpose(sb.get(), -1, -2)) : Tensor();
             Tensor db = need_b ? raw::matmul(raw::transpose(sa.get(), -1, -2), dc) : Tensor();
             return {da, db};
           });
  }
  return c;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least one dimension, got {} @ {}", a.shape(),
        b.shape());
  if (a.dim() == 1) {  // (K) -> (1, K); the added row is removed again from the result
    return squeeze(matmul(unsqueeze(a, 0), b), b.dim() == 1 ? -1 : -2);
  }
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, -1)), -1);
  if (a.dim() > 2 && b.dim() == 2) {
    // (..., M, K) @ (K, N): fold the batch into the rows, one large product instead of many.
    check(a.size(-1) == b.size(0), "matmul: inner dimensions differ: {} @ {}", a.shape(), b.shape());
    Shape out_shape = a.shape();
    out_shape[out_shape.size() - 1] = b.size(1);
    return reshape(matmul_batched("matmul", reshape(a, {-1, a.size(-1)}), b), out_shape);
  }
  return matmul_batched("matmul", a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) { return matmul_batched("bmm", a, b); }

}  // namespace qkv
