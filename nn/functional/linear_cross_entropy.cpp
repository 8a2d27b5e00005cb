// linear_cross_entropy.cpp — a model's output layer and its loss as one op:
// cross_entropy(x·Wᵀ + b, targets), without ever holding the (rows × classes) logits.
//
// A translation model's last layer maps every target position to V logits (V ≈ 10,000). Made
// whole, they are the largest tensors of a training step — (N, V) is 77 MB at N = 2,048 rows
// and V = 9,435 — and linear followed by cross_entropy writes or reads them six times (the
// product, the loss, its gradient, two gradient products, the bias sum), each time from memory,
// since they do not fit in any cache. Here the rows go through in chunks whose logits do fit
// (2²¹ logits, 8 MB of float), and each chunk's logits are used up before the next is made:
//
//   z     = x_R·Wᵀ + b                                     (R, V) one product
//   loss_i, L_i for each row i of R                        cross_entropy_rows.h
//   g     = s·(softmax(z) − target distribution)           ∂(s·loss)/∂z, in place in z
//   dx_R  = g·W                                            (R, V)·(V, D)
//   dW   += gᵀ·x_R                                         (V, R)·(R, D)
//   db   += Σ over R's rows of g
//
// with s = 1/(kept rows) for the mean and 1 for the sum. So the gradients are made in the
// forward pass (when some input needs one), and backward only multiplies them by dloss, a
// scalar. The products and the row arithmetic are those of linear and cross_entropy; only the
// order of the sums over rows differs (dW and db gather chunk by chunk).
//
// With bf16 products (tensor/precision.h), W is rounded to bf16 once per call and g once per
// chunk (blas::RoundedOnce), not by each product that reads them: at `small`'s shapes the op
// takes 7-12% less time than when every chunk's two products rounded W
// (bench/output_loss_bench.cpp; docs/measurements.md, eighteenth session).
//
// Reduction::none gives every row its own dloss, known only in backward: that case is linear
// followed by cross_entropy, unfused.
#include <algorithm>
#include <climits>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/linear_kernels.h"
#include "autograd/record.h"
#include "nn/functional.h"
#include "nn/functional/cross_entropy_rows.h"
#include "tensor/blas.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Logits per chunk when the caller does not choose: 2²¹ (8 MB of float), which stay in the
// last-level cache while the chunk's gradient products read them. Measured on the recipe's
// step (bench/train_step_bench recipe, one run each): 2¹⁸ 211 ms, 2²⁰ 191, 2²¹ 176, 2²³ 171,
// 2²⁵ 185 — the larger sizes alike within the bench's run-to-run spread of about 10%.
constexpr int64_t kChunkLogits = int64_t{1} << 21;

// The op's operands, contiguous: x (n, d), w (v, d) with row stride ldw, b (v) or null.
template <class T>
struct Operands {
  const T* x;
  const T* w;
  const T* b;
  const int64_t* targets;
  int64_t n, d, v, ldw;
};

// Where the gradients go (null: not wanted): dx (n, d), dw (v, d), db (v, double sums).
template <class T>
struct GradientsOut {
  T* dx;
  T* dw;
  double* db;
  bool any() const { return dx != nullptr || dw != nullptr || db != nullptr; }
};

// Each row's loss into losses[r0..r0+r); with gradients wanted, z becomes s·∂loss/∂z.
template <class T>
void chunk_rows(const Operands<T>& p, int64_t r0, int64_t r, const CrossEntropyOptions& o, T s, bool gradients, T* z,
                double* losses) {
  parallel_for(r, grain::rows_per_task(grain::kCrossEntropy, p.v), [&](int64_t i0, int64_t i1) {
    std::vector<T> scratch(static_cast<size_t>(p.v));
    for (int64_t i = i0; i < i1; ++i) {
      T* zi = z + i * p.v;
      const int64_t t = p.targets[r0 + i];
      if (t == o.ignore_index) {
        losses[r0 + i] = 0;
        if (gradients) std::fill_n(zi, p.v, T(0));
        continue;
      }
      const auto row = cross_entropy_rows::row_loss(zi, p.v, t, o.label_smoothing, scratch.data());
      losses[r0 + i] = static_cast<double>(row.loss);
      if (gradients) cross_entropy_rows::row_gradient(zi, p.v, t, row.lse, s, o.label_smoothing, zi);
    }
  });
}

// Every product of a chunk of r rows multiplies r·V·D: whether, in bf16 mode, they run in bf16
// and so an operand is worth rounding once for them (RoundedOnce itself rounds only float
// operands, and only in bf16 mode).
template <class T>
bool chunk_products_pay(const Operands<T>& p, int64_t r) {
  return bf16_pays(r, p.v, p.d);
}

// The chunk's share of every wanted gradient, from g (r, v) = s·∂loss/∂z; w is p's weight as
// the products read it (with its bf16 copy in bf16 mode). g too is rounded once when two
// products read it.
template <class T>
void chunk_gradients(const Operands<T>& p, blas::Operand<T> w, int64_t r0, int64_t r, const T* g,
                     const GradientsOut<T>& out) {
  const bool g_read_twice = out.dx != nullptr && out.dw != nullptr && p.d > 0;
  const blas::RoundedOnce<T> g_once(g, g_read_twice && chunk_products_pay(p, r) ? r : 0, p.v, p.v);
  const blas::Operand<T> x_rows{p.x + r0 * p.d, p.d};
  if (out.dx != nullptr && p.d > 0) {
    blas::parallel_gemm(false, false, r, p.d, p.v, T(1), g_once.operand(), w, T(0), out.dx + r0 * p.d, p.d);
  }
  if (out.dw != nullptr && p.d > 0) {
    blas::parallel_gemm(true, false, p.v, p.d, r, T(1), g_once.operand(), x_rows, T(1), out.dw, p.d);
  }
  if (out.db != nullptr) linear_kernels::add_column_sums(g, r, p.v, out.db);
}

// Runs every chunk; returns the sum of the row losses, added in row order whatever the chunk size.
// In bf16 mode W is rounded once here, not by each of the 2 products per chunk that read it
// (x's rows are still rounded by both products that read them: r·D values, not V·D).
template <class T>
double run_chunks(const Operands<T>& p, const CrossEntropyOptions& o, int64_t chunk, T s, const GradientsOut<T>& out) {
  std::vector<double> losses(static_cast<size_t>(p.n));
  Tensor z = Tensor::empty({std::min(chunk, p.n), p.v}, dtype_of<T>);
  const blas::RoundedOnce<T> w(p.w, chunk_products_pay(p, std::min(chunk, p.n)) ? p.v : 0, p.d, p.ldw);
  for (int64_t r0 = 0; r0 < p.n; r0 += chunk) {
    const int64_t r = std::min(chunk, p.n - r0);
    linear_kernels::affine_into(p.x + r0 * p.d, r, p.d, w.operand(), p.b, p.v, z.data<T>());  // z = x_R·Wᵀ + b
    chunk_rows(p, r0, r, o, s, out.any(), z.data<T>(), losses.data());
    if (out.any()) chunk_gradients(p, w.operand(), r0, r, z.data<T>(), out);
  }
  double total = 0;
  for (double l : losses) total += l;
  return total;
}

void check_operands(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& targets,
                    const CrossEntropyOptions& o) {
  check(x.defined() && weight.defined() && targets.defined(),
        "linear_cross_entropy: input, weight and targets must be defined");
  check(weight.dim() == 2 && weight.size(0) >= 1,
        "linear_cross_entropy: weight must be (classes, in_features) with at least one class, got {}", weight.shape());
  const int64_t V = weight.size(0), D = weight.size(1);
  check(x.dim() >= 1 && x.size(-1) == D, "linear_cross_entropy: input {} must end in the weight's in_features {}",
        x.shape(), D);
  check(!bias.defined() || (bias.dim() == 1 && bias.size(0) == V),
        "linear_cross_entropy: bias must be ({}) for weight {}, got {}", V, weight.shape(), bias.shape());
  check(x.dtype() == weight.dtype() && (!bias.defined() || bias.dtype() == x.dtype()),
        "linear_cross_entropy: input ({}), weight ({}) and bias ({}) must share a dtype", x.dtype(), weight.dtype(),
        bias.defined() ? dtype_name(bias.dtype()) : "none");
  check(targets.dtype() == Dtype::int64, "linear_cross_entropy: targets must be int64, got {}", targets.dtype());
  Shape expected = x.shape();
  expected.erase(expected.size() - 1);
  check(targets.shape() == expected, "linear_cross_entropy: input {} needs targets of shape {}, got {}", x.shape(),
        expected, targets.shape());
  check(o.label_smoothing >= 0 && o.label_smoothing <= 1, "linear_cross_entropy: label_smoothing {} is outside [0, 1]",
        o.label_smoothing);
  check(expected.numel() <= INT_MAX && V <= INT_MAX && D <= INT_MAX,
        "linear_cross_entropy: input {} with weight {} is too large for BLAS", x.shape(), weight.shape());
}

}  // namespace

Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& targets,
                            const CrossEntropyOptions& o, int64_t chunk_rows) {
  check_operands(x, weight, bias, targets, o);
  check(chunk_rows >= 0, "linear_cross_entropy: chunk_rows must be >= 0 (0: automatic), got {}", chunk_rows);
  if (o.reduction == Reduction::none) return cross_entropy(linear(x, weight, bias), targets, o);

  const int64_t V = weight.size(0), D = weight.size(1), N = targets.numel();
  const Tensor x2 = raw::contiguous(raw::reshape(x, {N, D}));
  const bool rows_ok = (D <= 1 || weight.strides()[1] == 1) && (V <= 1 || weight.strides()[0] >= D);
  const Tensor w = rows_ok ? weight : raw::contiguous(weight);
  const Tensor b = bias.defined() ? raw::contiguous(bias) : Tensor();
  const Tensor t = raw::contiguous(targets);
  const int64_t valid =
      cross_entropy_rows::count_valid_targets("linear_cross_entropy", t.data<int64_t>(), N, V, o.ignore_index);
  const int64_t chunk = std::max<int64_t>(1, chunk_rows > 0 ? chunk_rows : kChunkLogits / V);

  const bool record_grads = needs_grad(x, weight, bias);
  const bool need_x = record_grads && x.requires_grad(), need_w = record_grads && weight.requires_grad();
  const bool need_b = record_grads && bias.defined() && bias.requires_grad();
  Tensor dx = need_x ? Tensor::empty({N, D}, x.dtype()) : Tensor();
  Tensor dw = need_w ? zeros({V, D}, x.dtype()) : Tensor();
  std::vector<double> db_sums(need_b ? static_cast<size_t>(V) : 0);
  // The mean's share of each kept row; 0 when every row is ignored (loss 0, gradients 0).
  const double s = o.reduction == Reduction::mean ? (valid > 0 ? 1.0 / static_cast<double>(valid) : 0.0) : 1.0;

  double total = 0;
  dispatch_floating("linear_cross_entropy", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Operands<T> p{x2.data<T>(),
                        w.data<T>(),
                        b.defined() ? b.data<T>() : nullptr,
                        t.data<int64_t>(),
                        N,
                        D,
                        V,
                        V > 1 ? w.strides()[0] : std::max<int64_t>(D, 1)};
    const GradientsOut<T> out{need_x ? dx.data<T>() : nullptr, need_w ? dw.data<T>() : nullptr,
                              need_b ? db_sums.data() : nullptr};
    total = run_chunks(p, o, chunk, static_cast<T>(s), out);
  });
  const double value = o.reduction == Reduction::sum ? total : total * s;
  Tensor y = full({}, value, x.dtype());

  if (record_grads) {
    Tensor db;
    if (need_b) {
      db = Tensor::empty({V}, x.dtype());
      dispatch_floating("linear_cross_entropy", x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        for (int64_t j = 0; j < V; ++j) db.data<T>()[j] = static_cast<T>(db_sums[static_cast<size_t>(j)]);
      });
    }
    // Backward: the gradients made above, times dloss (a scalar).
    record("linear_cross_entropy", y, {x, weight, bias},
           [dx = need_x ? raw::reshape(dx, x.shape()) : Tensor(), dw, db](const Tensor& dy) -> Grads {
             const double k = dy.item();
             const auto times_dy = [k](const Tensor& g) { return !g.defined() || k == 1.0 ? g : raw::mul(g, k); };
             return {times_dy(dx), times_dy(dw), times_dy(db)};
           });
  }
  return y;
}

}  // namespace qkv
