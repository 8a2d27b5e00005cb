// linear.cpp — linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"):
//
//   φ(x) = elu(x) + 1                                           (> 0, so every weight is positive)
//   out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / (φ(q_i)ᵀ Σ_j φ(k_j))      sums over the keys query i may see
//
// q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv).
//
// Without a mask the sums run over every key; with a causal mask over the prefix j <= i + (Tk - Tq)
// (the library's causal alignment, mask.h). Both are one dedicated op, `prefix_linear_attention`,
// with its own forward and backward loops: running sums S = Σ φ(k_j) v_jᵀ (Dh × Dv) and
// z = Σ φ(k_j) (Dh) are updated key by key, so time is O(T·Dh·Dv) and no T×T matrix is ever built
// (the backward recomputes the prefix sums in a forward sweep and accumulates their gradients in
// a reverse sweep, so it keeps only O(Dh·Dv) state per (batch, head) besides its inputs).
// Key padding is expressible too: padded keys get φ(k) = 0, which drops them from both sums.
//
// What it does NOT do in O(T): an arbitrary `allowed` mask or a window cannot be written as
// prefix sums, so then it falls back to the explicit quadratic form
//   w_ij = φ(q_i)·φ(k_j) where allowed, 0 elsewhere;  weights = w / Σ_j w_ij;  out = weights·v
// (a row with nothing allowed, or whose weights sum to 0, gets zero weights and a zero output).
// need_weights returns those explicit weights (B, H, Tq, Tk), built only when asked for; `out`
// still comes from the O(T) op whenever the mask allows. Attention dropout (config.dropout) is
// not applied: the O(T) form has no weights to drop.
#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "autograd/record.h"
#include "nn/attention/variant.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// ---- φ(x) = elu(x) + 1 = x + 1 (x > 0), eˣ (x <= 0);  dx = dy·(x > 0 ? 1 : eˣ) ----------------

Tensor elu_plus_one(const Tensor& x_in) {
  const Tensor x = raw::contiguous(x_in);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating("linear attention φ", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) ys[i] = xs[i] > T(0) ? xs[i] + T(1) : std::exp(xs[i]);
  });
  if (needs_grad(x_in)) {
    record("elu_plus_one", y, {x_in},
           [sx = save("elu_plus_one", x), sy = save("elu_plus_one", y)](const Tensor& dy_in) -> Grads {
             const Tensor dy = raw::contiguous(dy_in);
             const Tensor& xs = sx.get();
             const Tensor& ys = sy.get();
             Tensor dx = Tensor::empty(xs.shape(), xs.dtype());
             dispatch_floating("linear attention φ", xs.dtype(), [&](auto tag) {
               using T = decltype(tag);
               const T* xp = xs.data<T>();
               const T* yp = ys.data<T>();
               const T* g = dy.data<T>();
               T* d = dx.data<T>();
               for (int64_t i = 0; i < xs.numel(); ++i) d[i] = g[i] * (xp[i] > T(0) ? T(1) : yp[i]);
             });
             return {dx};
           });
  }
  return y;
}

// ---- the O(T) op --------------------------------------------------------------------------
//
// For query i let p(i) be the last key it sees: i + (Tk - Tq) when causal, Tk - 1 otherwise
// (p(i) < 0: no keys, zero output). With S_p = Σ_{j<=p} fk_j v_jᵀ and z_p = Σ_{j<=p} fk_j:
//   num_i = S_pᵀ fq_i,  den_i = fq_i·z_p,  out_i = num_i / den_i  (0 when den_i = 0)
// Backward, with g_i = dout_i, dnum_i = g_i/den_i, dden_i = -(g_i·out_i)/den_i:
//   dfq_i = S_p dnum_i + z_p dden_i
//   R_j = Σ_{i: p(i) >= j} fq_i dnum_iᵀ,  r_j = Σ_{i: p(i) >= j} fq_i dden_i   (suffix sums)
//   dfk_j = R_j v_j + r_j,  dv_j = R_jᵀ fk_j

struct Sizes {
  int64_t tq, tk, d, dv;
  bool causal;
  int64_t last_key(int64_t i) const { return causal ? i + (tk - tq) : tk - 1; }
};

template <class T>
void prefix_forward(const T* fq, const T* fk, const T* v, T* out, T* den, const Sizes& n) {
  std::vector<double> s(n.d * n.dv, 0.0), z(n.d, 0.0);
  int64_t i = 0;
  auto emit = [&](int64_t qi) {
    const T* f = fq + qi * n.d;
    double dn = 0;
    for (int64_t a = 0; a < n.d; ++a) dn += f[a] * z[a];
    T* o = out + qi * n.dv;
    for (int64_t c = 0; c < n.dv; ++c) {
      double num = 0;
      for (int64_t a = 0; a < n.d; ++a) num += f[a] * s[a * n.dv + c];
      o[c] = dn > 0 ? static_cast<T>(num / dn) : T(0);
    }
    den[qi] = dn > 0 ? static_cast<T>(dn) : T(0);
  };
  for (; i < n.tq && n.last_key(i) < 0; ++i) emit(i);  // sees no key: zero output
  for (int64_t t = 0; t < n.tk; ++t) {
    const T* f = fk + t * n.d;
    const T* vt = v + t * n.dv;
    for (int64_t a = 0; a < n.d; ++a) {
      z[a] += f[a];
      for (int64_t c = 0; c < n.dv; ++c) s[a * n.dv + c] += f[a] * vt[c];
    }
    for (; i < n.tq && n.last_key(i) == t; ++i) emit(i);
  }
}

template <class T>
void prefix_backward(const T* dy, const T* fq, const T* fk, const T* v, const T* out, const T* den, T* dfq, T* dfk,
                     T* dv, const Sizes& n) {
  // dnum_i = g_i/den_i, dden_i = -(g_i·out_i)/den_i; both zero for a query that saw no weight.
  std::vector<double> dnum(n.dv);
  auto query_grads = [&](int64_t qi) -> double {
    const double dn = den[qi];
    if (!(dn > 0)) {
      std::fill(dnum.begin(), dnum.end(), 0.0);
      return 0.0;
    }
    double dot = 0;
    for (int64_t c = 0; c < n.dv; ++c) {
      dnum[c] = dy[qi * n.dv + c] / dn;
      dot += dy[qi * n.dv + c] * out[qi * n.dv + c];
    }
    return -dot / dn;
  };

  // Forward sweep: prefix sums again, for dfq.
  std::vector<double> s(n.d * n.dv, 0.0), z(n.d, 0.0);
  int64_t i = 0;
  auto query_input_grad = [&](int64_t qi) {
    const double dden = query_grads(qi);
    T* g = dfq + qi * n.d;
    for (int64_t a = 0; a < n.d; ++a) {
      double acc = z[a] * dden;
      for (int64_t c = 0; c < n.dv; ++c) acc += s[a * n.dv + c] * dnum[c];
      g[a] = static_cast<T>(acc);
    }
  };
  for (; i < n.tq && n.last_key(i) < 0; ++i) query_input_grad(i);  // s = z = 0: zero gradient
  for (int64_t t = 0; t < n.tk; ++t) {
    const T* f = fk + t * n.d;
    const T* vt = v + t * n.dv;
    for (int64_t a = 0; a < n.d; ++a) {
      z[a] += f[a];
      for (int64_t c = 0; c < n.dv; ++c) s[a * n.dv + c] += f[a] * vt[c];
    }
    for (; i < n.tq && n.last_key(i) == t; ++i) query_input_grad(i);
  }

  // Reverse sweep: suffix sums R, r of the queries' gradients, for dfk and dv.
  std::vector<double> r_mat(n.d * n.dv, 0.0), r_vec(n.d, 0.0);
  i = n.tq - 1;
  for (int64_t t = n.tk - 1; t >= 0; --t) {
    for (; i >= 0 && n.last_key(i) == t; --i) {
      const double dden = query_grads(i);
      const T* f = fq + i * n.d;
      for (int64_t a = 0; a < n.d; ++a) {
        r_vec[a] += f[a] * dden;
        for (int64_t c = 0; c < n.dv; ++c) r_mat[a * n.dv + c] += f[a] * dnum[c];
      }
    }
    const T* f = fk + t * n.d;
    const T* vt = v + t * n.dv;
    T* gk = dfk + t * n.d;
    T* gv = dv + t * n.dv;
    for (int64_t a = 0; a < n.d; ++a) {
      double acc = r_vec[a];
      for (int64_t c = 0; c < n.dv; ++c) acc += r_mat[a * n.dv + c] * vt[c];
      gk[a] = static_cast<T>(acc);
    }
    for (int64_t c = 0; c < n.dv; ++c) {
      double acc = 0;
      for (int64_t a = 0; a < n.d; ++a) acc += r_mat[a * n.dv + c] * f[a];
      gv[c] = static_cast<T>(acc);
    }
  }
}

// fq (B, H, Tq, D), fk (B, H, Tk, D), v (B, H, Tk, Dv) → (B, H, Tq, Dv): the formula above.
Tensor prefix_linear_attention(const Tensor& fq_in, const Tensor& fk_in, const Tensor& v_in, bool causal) {
  const Tensor fq = raw::contiguous(fq_in), fk = raw::contiguous(fk_in), v = raw::contiguous(v_in);
  const int64_t bh = fq.size(0) * fq.size(1);
  const Sizes n{fq.size(2), fk.size(2), fq.size(3), v.size(3), causal};
  Tensor out = Tensor::empty({fq.size(0), fq.size(1), n.tq, n.dv}, fq.dtype());
  Tensor den = Tensor::empty({fq.size(0), fq.size(1), n.tq}, fq.dtype());
  dispatch_floating("linear attention", fq.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *pq = fq.data<T>(), *pk = fk.data<T>(), *pv = v.data<T>();
    T *po = out.data<T>(), *pd = den.data<T>();
    parallel_for(bh, 1, [&](int64_t begin, int64_t end) {
      for (int64_t h = begin; h < end; ++h) {
        prefix_forward<T>(pq + h * n.tq * n.d, pk + h * n.tk * n.d, pv + h * n.tk * n.dv, po + h * n.tq * n.dv,
                          pd + h * n.tq, n);
      }
    });
  });
  if (needs_grad(fq_in, fk_in, v_in)) {
    constexpr OpName op = "prefix_linear_attention";
    record(op, out, {fq_in, fk_in, v_in},
           [sq = save(op, fq), sk = save(op, fk), sv = save(op, v), so = save(op, out), den, n,
            bh](const Tensor& dy_in) -> Grads {
             const Tensor dy = raw::contiguous(dy_in);
             const Tensor &q = sq.get(), &k = sk.get(), &val = sv.get(), &o = so.get();
             Tensor dq = Tensor::empty(q.shape(), q.dtype());
             Tensor dk = Tensor::empty(k.shape(), k.dtype());
             Tensor dv = Tensor::empty(val.shape(), val.dtype());
             dispatch_floating("linear attention", q.dtype(), [&](auto tag) {
               using T = decltype(tag);
               parallel_for(bh, 1, [&](int64_t begin, int64_t end) {
                 for (int64_t h = begin; h < end; ++h) {
                   prefix_backward<T>(
                       dy.data<T>() + h * n.tq * n.dv, q.data<T>() + h * n.tq * n.d, k.data<T>() + h * n.tk * n.d,
                       val.data<T>() + h * n.tk * n.dv, o.data<T>() + h * n.tq * n.dv, den.data<T>() + h * n.tq,
                       dq.data<T>() + h * n.tq * n.d, dk.data<T>() + h * n.tk * n.d, dv.data<T>() + h * n.tk * n.dv, n);
                 }
               });
             });
             return {dq, dk, dv};
           });
  }
  return out;
}

// ---- the explicit quadratic form (the fallback, and need_weights) ----------------------------

// weights_ij = φ(q_i)·φ(k_j)·[allowed_ij] / Σ_j (same); rows that sum to 0 become 0.  (B, H, Tq, Tk)
Tensor explicit_weights(const Tensor& fq, const Tensor& fk, const Tensor& allowed) {
  Tensor w = matmul(fq, transpose(fk, -1, -2));
  if (allowed.defined()) w = masked_fill(w, raw::logical_not(allowed), 0.0);
  const Tensor den = sum(w, {-1}, true);
  const Tensor positive = raw::gt(den.detach(), zeros({}, den.dtype()));
  return w / where(positive, den, scalar(1.0, den.dtype()));
}

class LinearAttention : public AttentionVariant {
 public:
  explicit LinearAttention(const AttentionConfig&) {}
  void visit(ModuleVisitor&) override {}

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    check_qkv_shapes("linear", q, k, v);
    const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
    mask.validate("linear attention", B, H, Tq, Tk);
    const Tensor fq = elu_plus_one(q);
    Tensor fk = elu_plus_one(k);
    const Tensor allowed = mask.allows_everything() ? Tensor() : mask.materialize(B, H, Tq, Tk);
    const Tensor weights = need_weights ? explicit_weights(fq, fk, allowed) : Tensor();

    const bool prefix_form = !mask.window_bounds() && !mask.allowed_tensor().defined();
    if (!prefix_form) {  // O(T²): the mask has no prefix-sum form
      const Tensor w = weights.defined() ? weights : explicit_weights(fq, fk, allowed);
      return {matmul(w, v), weights};
    }
    if (mask.key_is_pad().defined()) fk = masked_fill(fk, raw::reshape(mask.key_is_pad(), {B, 1, Tk, 1}), 0.0);
    return {prefix_linear_attention(fq, fk, v, mask.is_causal()), weights};
  }
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_linear_attention() {
  register_attention("linear", "φ(q)ᵀΣφ(k)vᵀ / φ(q)ᵀΣφ(k), φ = elu+1: O(T) prefix sums (Katharopoulos et al. 2020)",
                     [](const AttentionConfig& c) { return std::make_unique<LinearAttention>(c); });
}

}  // namespace qkv
