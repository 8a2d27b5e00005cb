// matmul.cpp — matmul and bmm through cblas_sgemm / cblas_dgemm.
//
// THREADS. Every product goes through tensor/blas.h, which keeps OpenBLAS single-threaded and
// splits one large product over qkv's threads. A batch of many (or small) products is spread
// over the threads whole, one product per call; a batch of a few large products runs them one
// after another, each split.
//
// LAYOUT. Each operand's matrices (its last two dimensions) go to BLAS without a copy when
// they are row-major (unit column stride, row stride >= cols) or column-major (a transposed
// view: unit row stride, passed with CblasTrans). Anything else is copied contiguous once.
// Batch dimensions are broadcast through strides (stride 0), so an operand shared by the whole
// batch is neither copied nor expanded. (B, n, k) @ (k, m) with a row-major left operand whose
// batch and row dimensions flatten is a single (B·n, k) @ (k, m) product.
#include "tensor/matmul.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "tensor/blas.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv::raw {
namespace {

// How one operand's matrices are handed to BLAS.
struct BlasMatrix {
  Tensor t;                 // the operand itself or its contiguous copy
  bool transposed = false;  // column-major storage: pass CblasTrans
  int64_t ld = 1;           // BLAS leading dimension
};

// The leading dimension under which a rows x cols matrix with strides (rs, cs) is a valid BLAS
// row-major matrix (or, if `transposed`, column-major), or 0 if it is not.
int64_t leading_dim(int64_t rows, int64_t cols, int64_t rs, int64_t cs, bool transposed) {
  if (transposed) {
    std::swap(rows, cols);
    std::swap(rs, cs);
  }
  if (cols > 1 && cs != 1) return 0;
  const int64_t min_ld = std::max<int64_t>(cols, 1);
  if (rows <= 1) return min_ld;  // a single row: its row stride is never used
  return rs >= min_ld ? rs : 0;
}

// Views t's matrices for BLAS, copying t contiguous if their layout does not fit.
BlasMatrix blas_matrix(const Tensor& t) {
  const int64_t r = t.dim() - 2;
  const int64_t rows = t.shape()[r];
  const int64_t cols = t.shape()[r + 1];
  const int64_t rs = t.strides()[r];
  const int64_t cs = t.strides()[r + 1];
  if (const int64_t ld = leading_dim(rows, cols, rs, cs, false)) return {t, false, ld};
  if (const int64_t ld = leading_dim(rows, cols, rs, cs, true)) return {t, true, ld};
  return {t.clone(), false, std::max<int64_t>(cols, 1)};
}

Shape batch_shape(const Tensor& t) {
  Shape batch = t.shape();
  batch.erase(batch.size() - 1);
  batch.erase(batch.size() - 1);
  return batch;
}

// Offset (in elements, from t's first element) of every matrix of t when its batch dimensions
// are broadcast to `batch`, in row-major batch order.
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch) {
  const int64_t lead = batch.size() - (t.dim() - 2);
  Shape strides = batch;
  for (int64_t d = 0; d < batch.size(); ++d) {
    const bool broadcast = d < lead || t.shape()[d - lead] == 1;
    strides[d] = broadcast ? 0 : t.strides()[d - lead];
  }
  std::vector<int64_t> offsets(static_cast<size_t>(batch.numel()));
  for (int64_t i = 0; i < batch.numel(); ++i) {
    int64_t rest = i;
    int64_t offset = 0;
    for (int64_t d = batch.size() - 1; d >= 0; --d) {
      offset += rest % batch[d] * strides[d];
      rest /= batch[d];
    }
    offsets[static_cast<size_t>(i)] = offset;
  }
  return offsets;
}

// If all of t's matrices stacked on top of each other form one row-major matrix, its row
// stride; else 0. (True when the batch and row dimensions flatten into one.)
int64_t stacked_row_stride(const BlasMatrix& a) {
  if (a.transposed) return 0;
  const Tensor& t = a.t;
  int64_t rows = 1;
  int64_t row_stride = a.ld;
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    if (t.shape()[d] == 1) continue;
    if (rows > 1 && t.strides()[d] != row_stride * rows) return 0;
    if (rows == 1) row_stride = t.strides()[d];
    rows *= t.shape()[d];
  }
  return leading_dim(rows, t.shape().back(), row_stride, t.strides().back(), false);
}

void check_blas_size(std::string_view op, int64_t value) {
  check(value <= INT_MAX, "{}: size {} is too large for BLAS (32-bit indices)", op, value);
}

// C (m x n, row-major, ld n) = op(A) (m x k) · op(B) (k x n), on this thread, or split over
// qkv's threads when `split`.
template <class T>
void gemm(const BlasMatrix& a, const BlasMatrix& b, int64_t m, int64_t n, int64_t k, const T* pa, const T* pb, T* pc,
          bool split) {
  const int64_t ldc = std::max<int64_t>(n, 1);
  if (split) {
    blas::parallel_gemm(a.transposed, b.transposed, m, n, k, T(1), pa, a.ld, pb, b.ld, T(0), pc, ldc);
  } else {
    blas::gemm(a.transposed, b.transposed, m, n, k, T(1), pa, a.ld, pb, b.ld, T(0), pc, ldc);
  }
}

// out (batch..., m, n) = a (..., m, k) @ b (..., k, n), batch dims broadcast to `batch`.
template <class T>
void batched_gemm(std::string_view op, const BlasMatrix& a, const BlasMatrix& b, const Shape& batch,
                  const Tensor& out) {
  const int64_t m = a.t.size(-2);
  const int64_t k = a.t.size(-1);
  const int64_t n = b.t.size(-1);
  const int64_t count = batch.numel();
  T* pc = out.data<T>();
  if (out.numel() == 0) return;
  if (k == 0) {
    std::fill_n(pc, out.numel(), T(0));
    return;
  }
  for (int64_t v : {m, n, k, a.ld, b.ld}) check_blas_size(op, v);
  const T* pa = a.t.data<T>();
  const T* pb = b.t.data<T>();

  // Several left matrices against one right matrix: one tall product.
  if (count > 1 && batch_shape(b.t).numel() == 1) {
    if (const int64_t row_stride = stacked_row_stride(a)) {
      check_blas_size(op, count * m);
      gemm(BlasMatrix{a.t, false, row_stride}, b, count * m, n, k, pa, pb, pc, true);
      return;
    }
  }

  const std::vector<int64_t> a_offsets = batch_offsets(a.t, batch);
  const std::vector<int64_t> b_offsets = batch_offsets(b.t, batch);
  const int64_t product = m * n * k;
  // Many products, or small ones: whole products per thread. A few large ones: one at a
  // time, each split across the threads.
  const bool per_product = count >= 2 * num_threads() || product < grain::kSplitGemm;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto u = static_cast<size_t>(i);
      gemm(a, b, m, n, k, pa + a_offsets[u], pb + b_offsets[u], pc + i * m * n, !per_product);
    }
  };
  if (per_product) {
    parallel_for(count, grain::rows_per_task(grain::kBatchedMatmul, product), run);
  } else {
    run(0, count);
  }
}

void check_operands(std::string_view op, const Tensor& a, const Tensor& b) {
  check(a.defined() && b.defined(), "{}: an operand is undefined", op);
  check(a.dtype() == b.dtype(), "{}: dtypes differ: {} and {}", op, a.dtype(), b.dtype());
  check(is_floating(a.dtype()), "{}: needs float32 or float64 tensors, got {}", op, a.dtype());
}

// The product of operands that are at least 2-D, their batch dims broadcast to `batch`.
// `out_shape` is the result's shape (matmul drops the dimensions it added to 1-D operands).
Tensor product(std::string_view op, const Tensor& a, const Tensor& b, const Shape& batch, const Shape& out_shape) {
  const Tensor out = Tensor::empty(out_shape, a.dtype());
  const BlasMatrix ma = blas_matrix(a);
  const BlasMatrix mb = blas_matrix(b);
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batched_gemm<T>(op, ma, mb, batch, out);
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands("matmul", a, b);
  check(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least one dimension, got shapes {} and {}",
        a.shape(), b.shape());
  // 1-D operands become a row (left) or a column (right).
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  check(a2.size(-1) == b2.size(-2), "matmul: inner dimensions differ: {} @ {}", a.shape(), b.shape());

  const Shape a_batch = batch_shape(a2);
  const Shape b_batch = batch_shape(b2);
  const int64_t rank = std::max(a_batch.size(), b_batch.size());
  for (int64_t i = 1; i <= std::min(a_batch.size(), b_batch.size()); ++i) {
    const int64_t da = a_batch[a_batch.size() - i];
    const int64_t db = b_batch[b_batch.size() - i];
    check(da == db || da == 1 || db == 1,
          "matmul: batch dimensions do not broadcast: {} @ {} (dimension {} of the batch: {} vs {})", a.shape(),
          b.shape(), rank - i, da, db);
  }
  const Shape batch = broadcast_shapes("matmul", a_batch, b_batch);

  Shape out_shape = batch;
  if (a.dim() > 1) out_shape.push_back(a2.size(-2));
  if (b.dim() > 1) out_shape.push_back(b2.size(-1));
  return product("matmul", a2, b2, batch, out_shape);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands("bmm", a, b);
  check(a.dim() == 3 && b.dim() == 3, "bmm: needs two 3-D tensors, got shapes {} and {}", a.shape(), b.shape());
  check(a.size(0) == b.size(0), "bmm: batch sizes differ: {} @ {}", a.shape(), b.shape());
  check(a.size(2) == b.size(1), "bmm: inner dimensions differ: {} @ {}", a.shape(), b.shape());
  return product("bmm", a, b, Shape{a.size(0)}, Shape{a.size(0), a.size(1), b.size(2)});
}

}  // namespace qkv::raw
