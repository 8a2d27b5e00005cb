// matmul.cpp — matmul and bmm through cblas_sgemm / cblas_dgemm.
//
// THREADING (measured with Debian's OpenBLAS 0.3.21, pthreads build, on 2 cores):
//   THREADING_NOTES
//
// LAYOUT. Each operand's matrices (its last two dimensions) go to BLAS without a copy when
// they are row-major (unit column stride, row stride >= cols) or column-major (a transposed
// view: unit row stride, passed with CblasTrans). Anything else is copied contiguous once.
// Batch dimensions are broadcast through strides (stride 0), so an operand shared by the whole
// batch is neither copied nor expanded. (B, n, k) @ (k, m) with a row-major left operand whose
// batch and row dimensions flatten is a single (B·n, k) @ (k, m) product.
#include "tensor/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv::raw {
namespace {

// Products with at most this many multiply-adds (m·n·k) count as small: in a batch, they are
// spread over qkv's threads with OpenBLAS single-threaded (see the threading notes above).
constexpr int64_t kSmallProduct = int64_t{1} << 18;
// Each qkv thread gets at least about this many multiply-adds, so tiny batches stay serial.
constexpr int64_t kMinWorkPerThread = int64_t{1} << 16;

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

// C (m x n, row-major, ld n) = op(A) (m x k) · op(B) (k x n).
void gemm(const BlasMatrix& a, const BlasMatrix& b, int64_t m, int64_t n, int64_t k, const float* pa,
          const float* pb, float* pc) {
  cblas_sgemm(CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, pa, static_cast<int>(a.ld), pb,
              static_cast<int>(b.ld), 0.0f, pc, static_cast<int>(std::max<int64_t>(n, 1)));
}
void gemm(const BlasMatrix& a, const BlasMatrix& b, int64_t m, int64_t n, int64_t k, const double* pa,
          const double* pb, double* pc) {
  cblas_dgemm(CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, pa, static_cast<int>(a.ld), pb,
              static_cast<int>(b.ld), 0.0, pc, static_cast<int>(std::max<int64_t>(n, 1)));
}

// While an active one of these is alive, OpenBLAS runs single-threaded. Guards held at the
// same time (by several threads calling matmul) share one saved setting, restored by the last.
class SingleThreadedBlas {
 public:
  explicit SingleThreadedBlas(bool active) : active_(active) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (holders_++ == 0) {
      saved_ = openblas_get_num_threads();
      if (saved_ > 1) openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (--holders_ == 0 && saved_ > 1) openblas_set_num_threads(saved_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  bool active_;
  static inline std::mutex mutex_;
  static inline int holders_ = 0;
  static inline int saved_ = 1;
};

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
  // Inside a parallel_for body this thread is one of several qkv threads, so OpenBLAS must
  // not start threads of its own.
  const bool nested = in_parallel_region();

  // Several left matrices against one right matrix: one tall product.
  if (count > 1 && batch_shape(b.t).numel() == 1) {
    if (const int64_t row_stride = stacked_row_stride(a)) {
      check_blas_size(op, count * m);
      SingleThreadedBlas single_threaded(nested);
      gemm(BlasMatrix{a.t, false, row_stride}, b, count * m, n, k, pa, pb, pc);
      return;
    }
  }

  const std::vector<int64_t> a_offsets = batch_offsets(a.t, batch);
  const std::vector<int64_t> b_offsets = batch_offsets(b.t, batch);
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto u = static_cast<size_t>(i);
      gemm(a, b, m, n, k, pa + a_offsets[u], pb + b_offsets[u], pc + i * m * n);
    }
  };
  const int64_t product = m * n * k;
  const bool spread = !nested && count > 1 && product <= kSmallProduct && num_threads() > 1;
  SingleThreadedBlas single_threaded(nested || spread);
  if (spread) {
    parallel_for(count, std::max<int64_t>(1, kMinWorkPerThread / product), run);
  } else {
    run(0, count);  // one product at a time (each with all of OpenBLAS's threads unless nested)
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
