// matmul.cpp — forward and backward of matmul and bmm.
#include "autograd/ops/matmul.h"

#include "autograd/ops/views.h"
#include "autograd/record.h"
#include "tensor/matmul.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// True when t's last two dimensions are swapped relative to a contiguous tensor: Linear's Wᵀ.
// The gradient of such an operand is computed transposed — (op(y)ᵀ·op(x)ᵀ)ᵀ — into contiguous
// memory and returned as a transposed view, so after the transpose's own backward the
// parameter receives a contiguous gradient and the engine need not copy it.
bool is_transposed_layout(const Tensor& t) {
  return t.dim() >= 2 && t.size(-1) > 1 && t.size(-2) > 1 && raw::transpose(t, -1, -2).is_contiguous();
}

// The product of two operands of rank >= 2 (batch dims broadcast). The engine sums the
// gradient of a broadcast operand over the batch dims it was broadcast across.
//   c = a·b     da = dc·bᵀ     db = aᵀ·dc     (each in its operand's layout)
Tensor matmul_batched(OpName op, const Tensor& a, const Tensor& b) {
  Tensor c = op.view() == "bmm" ? raw::bmm(a, b) : raw::matmul(a, b);
  if (needs_grad(a, b)) {
    const bool need_a = a.requires_grad();
    const bool need_b = b.requires_grad();
    const bool a_transposed = need_a && is_transposed_layout(a);
    const bool b_transposed = need_b && is_transposed_layout(b);
    record(op, c, {a, b},
           [sa = save(op, need_b ? a : Tensor()), sb = save(op, need_a ? b : Tensor()), need_a, need_b, a_transposed,
            b_transposed](const Tensor& dc) -> Grads {
             Tensor da, db;
             if (need_a) {  // da = dc·bᵀ, or daᵀ = b·dcᵀ
               da = a_transposed ? raw::transpose(raw::matmul(sb.get(), raw::transpose(dc, -1, -2)), -1, -2)
                                 : raw::matmul(dc, raw::transpose(sb.get(), -1, -2));
             }
             if (need_b) {  // db = aᵀ·dc, or dbᵀ = dcᵀ·a
               db = b_transposed ? raw::transpose(raw::matmul(raw::transpose(dc, -1, -2), sa.get()), -1, -2)
                                 : raw::matmul(raw::transpose(sa.get(), -1, -2), dc);
             }
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
