// per_position.cpp — one weight per position ("N×1" attention): each key gets a score from
// itself alone, through a learned vector per head, and no query–key product is ever formed:
//
//   e_j = w_h·k_j                                                     (B, H, Tk)
//   weights_ij = softmax over the keys query i may see of e           (B, H, Tq, Tk)
//   out_i = Σ_j weights_ij v_j                                        (B, H, Tq, Dv)
//
// Parameter "w" (H, Dh), uniform on ±1/√Dh. The queries matter only through the mask: without
// one, every query gets the same output (softmax pooling of the values); under a causal mask,
// query i pools the keys up to its position i + (Tk - Tq).
//
// O(N) memory: when the weights are not asked for and nothing else needs them (the softmax
// normaliser, no dropout on the weights) and the mask is causal and/or key padding, out comes
// from one op, per_position_pool, that sweeps the keys once per (batch, head) with running sums
// Z = Σ exp(e_j - m), N = Σ exp(e_j - m) v_j (m the largest allowed score of that batch and
// head), never building a Tq×Tk tensor; its backward is one reverse sweep of suffix sums. The
// sums are kept in double. Otherwise (need_weights, another normaliser, dropout while training,
// a window or an arbitrary `allowed` mask) it is ScoredAttention with the scores e broadcast to
// every query, (B, H, Tq, Tk) — the same values (the test checks the two paths agree). The key
// scores e are prepare_keys, so a recurrent decoder computes them once per sentence.
// The output does not depend on the queries' values, so their gradient is exactly zero; both
// paths list q as an input of their op and give it that zero, as every variant gives each of
// q, k and v a gradient.
//
// What it does not do: the shift m is one per (batch, head), so a prefix whose allowed scores
// all lie more than ~700 below the largest later score would underflow to a zero output (scores
// would have to differ by that much within one head); and there is no small-MLP score (only the
// linear one; a nonlinearity on k_j alone is one more function of the key, easy to add).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "autograd/record.h"
#include "nn/attention/per_head.h"
#include "nn/attention/variant.h"
#include "nn/init.h"
#include "tensor/factories.h"
#include "tensor/parallel.h"
#include "tensor/reduce.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// ---- per_position_pool: out_i = Σ_{j <= p(i), allowed} exp(e_j) v_j / Σ (same) ------------------------
//
// p(i) = i + (Tk - Tq) when causal, else Tk - 1; a query with no allowed key gets 0. With
// a_ij = exp(e_j)/Z_i and g_i = dout_i, the backward is, for each key j (sums over the queries
// that see j, i.e. p(i) >= j, with Z_i > 0):
//   dv_j = exp(e_j) Σ_i g_i/Z_i                       = exp(e_j)·G_j
//   de_j = Σ_i a_ij g_i·(v_j - out_i)                 = exp(e_j)·(v_j·G_j - c_j),  c_j = Σ_i g_i·out_i/Z_i
// G and c are suffix sums over the queries, built in one sweep from the last key to the first.

struct PoolSizes {
  int64_t tq, tk, dv;
  bool causal;
  int64_t last_key(int64_t i) const { return causal ? i + (tk - tq) : tk - 1; }
};

// exp(e_j - m) over the allowed keys of one (batch, head), 0 for padded keys; m = their max.
template <class T>
std::vector<double> shifted_exp(const T* e, const bool* pad, int64_t tk) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < tk; ++j) {
    if (!pad || !pad[j]) m = std::max(m, static_cast<double>(e[j]));
  }
  std::vector<double> x(tk, 0.0);
  for (int64_t j = 0; j < tk; ++j) {
    if (!pad || !pad[j]) x[j] = std::exp(static_cast<double>(e[j]) - m);
  }
  return x;
}

template <class T>
void pool_forward(const T* e, const bool* pad, const T* v, T* out, double* z_out, const PoolSizes& n) {
  const std::vector<double> x = shifted_exp(e, pad, n.tk);
  std::vector<double> num(n.dv, 0.0);
  double z = 0;
  int64_t i = 0;
  auto emit = [&](int64_t qi) {
    for (int64_t c = 0; c < n.dv; ++c) out[qi * n.dv + c] = z > 0 ? static_cast<T>(num[c] / z) : T(0);
    z_out[qi] = z;
  };
  for (; i < n.tq && n.last_key(i) < 0; ++i) emit(i);  // sees no key
  for (int64_t t = 0; t < n.tk; ++t) {
    z += x[t];
    for (int64_t c = 0; c < n.dv; ++c) num[c] += x[t] * v[t * n.dv + c];
    for (; i < n.tq && n.last_key(i) == t; ++i) emit(i);
  }
}

template <class T>
void pool_backward(const T* dy, const T* e, const bool* pad, const T* v, const T* out, const double* z, T* de, T* dv,
                   const PoolSizes& n) {
  const std::vector<double> x = shifted_exp(e, pad, n.tk);
  std::vector<double> g_sum(n.dv, 0.0);  // G
  double c_sum = 0;                      // c
  int64_t i = n.tq - 1;
  for (int64_t t = n.tk - 1; t >= 0; --t) {
    for (; i >= 0 && n.last_key(i) == t; --i) {
      if (!(z[i] > 0)) continue;
      double dot = 0;
      for (int64_t c = 0; c < n.dv; ++c) {
        g_sum[c] += dy[i * n.dv + c] / z[i];
        dot += dy[i * n.dv + c] * out[i * n.dv + c];
      }
      c_sum += dot / z[i];
    }
    double vg = 0;
    for (int64_t c = 0; c < n.dv; ++c) {
      dv[t * n.dv + c] = static_cast<T>(x[t] * g_sum[c]);
      vg += v[t * n.dv + c] * g_sum[c];
    }
    de[t] = static_cast<T>(x[t] * (vg - c_sum));
  }
}

// e (B, H, Tk), v (B, H, Tk, Dv), key_is_pad (B, Tk) bool or undefined, q (B, H, Tq, ·) → (B, H, Tq, Dv).
// q gives only the number of queries Tq; its gradient is zero.
Tensor per_position_pool(const Tensor& e_in, const Tensor& v_in, const Tensor& key_is_pad, bool causal,
                         const Tensor& q) {
  const int64_t tq = q.size(2);
  const Tensor e = raw::contiguous(e_in), v = raw::contiguous(v_in);
  const Tensor pad = key_is_pad.defined() ? raw::contiguous(key_is_pad) : Tensor();
  const int64_t B = e.size(0), H = e.size(1);
  const PoolSizes n{tq, e.size(2), v.size(3), causal};
  Tensor out = Tensor::empty({B, H, n.tq, n.dv}, v.dtype());
  Tensor z = Tensor::empty({B, H, n.tq}, Dtype::float64);  // Z_i, saved for backward
  auto pad_row = [pad, n, H](int64_t bh) { return pad.defined() ? pad.data<bool>() + (bh / H) * n.tk : nullptr; };
  dispatch_floating("per_position attention", v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    parallel_for(B * H, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bh = begin; bh < end; ++bh) {
        pool_forward<T>(e.data<T>() + bh * n.tk, pad_row(bh), v.data<T>() + bh * n.tk * n.dv,
                        out.data<T>() + bh * n.tq * n.dv, z.data<double>() + bh * n.tq, n);
      }
    });
  });
  if (needs_grad(e_in, v_in, q)) {
    constexpr OpName op = "per_position_pool";
    record(op, out, {e_in, v_in, q},
           [se = save(op, e), sv = save(op, v), so = save(op, out), z, pad_row, n, B, H, q_shape = q.shape(),
            q_dtype = q.dtype()](const Tensor& dy_in) -> Grads {
             const Tensor dy = raw::contiguous(dy_in);
             const Tensor &es = se.get(), &vs = sv.get(), &os = so.get();
             Tensor de = Tensor::empty(es.shape(), es.dtype());
             Tensor dv = Tensor::empty(vs.shape(), vs.dtype());
             dispatch_floating("per_position attention", vs.dtype(), [&](auto tag) {
               using T = decltype(tag);
               parallel_for(B * H, 1, [&](int64_t begin, int64_t end) {
                 for (int64_t bh = begin; bh < end; ++bh) {
                   pool_backward<T>(dy.data<T>() + bh * n.tq * n.dv, es.data<T>() + bh * n.tk, pad_row(bh),
                                    vs.data<T>() + bh * n.tk * n.dv, os.data<T>() + bh * n.tq * n.dv,
                                    z.data<double>() + bh * n.tq, de.data<T>() + bh * n.tk,
                                    dv.data<T>() + bh * n.tk * n.dv, n);
                 }
               });
             });
             return {de, dv, zeros(q_shape, q_dtype)};
           });
  }
  return out;
}

// e (B, H, Tk, 1) as every query's scores, (B, H, Tq, Tk), with q (B, H, Tq, ·) giving Tq.
// de = dy summed over the queries; dq = 0.
Tensor scores_for_queries(const Tensor& e, const Tensor& q) {
  const int64_t B = e.size(0), H = e.size(1), Tk = e.size(2), Tq = q.size(2);
  Tensor s = raw::contiguous(raw::expand(raw::transpose(e, -1, -2), {B, H, Tq, Tk}));
  if (needs_grad(e, q)) {
    record("per_position_scores", s, {e, q},
           [e_shape = e.shape(), q_shape = q.shape(), q_dtype = q.dtype()](const Tensor& dy) -> Grads {
             return {raw::reshape(raw::sum(dy, {2}), e_shape), zeros(q_shape, q_dtype)};
           });
  }
  return s;
}

// ---- the variant ---------------------------------------------------------------------------

class PerPositionAttention : public ScoredAttention {
 public:
  explicit PerPositionAttention(const AttentionConfig& c)
      : ScoredAttention(c), w_(make_parameter({c.num_heads, c.head_dim}, c.dtype)) {}

  Tensor scores(const Tensor& q, const Tensor& k) override { return prepared_scores(q, prepare_keys(k)); }

  // e = w·k: (B, H, Tk, 1)
  Tensor prepare_keys(const Tensor& k) override {
    const int64_t heads = config_.num_heads, dim = config_.head_dim;
    check(k.dim() == 4 && k.size(1) == heads && k.size(3) == dim,
          "per_position attention: built for {} heads of width {}, got k {}", heads, dim, k.shape());
    return per_head_matmul(k, reshape(w_, {heads, dim, 1}));
  }

  // The key scores broadcast to every query: (B, H, Tq, Tk).
  Tensor prepared_scores(const Tensor& q, const Tensor& e) override {
    check(q.dim() == 4 && e.dim() == 4 && e.size(3) == 1,
          "per_position attention: need q (B, H, Tq, Dh) and key scores (B, H, Tk, 1), got {} and {}", q.shape(),
          e.shape());
    return scores_for_queries(e, q);
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    if (!pools(mask, need_weights)) return ScoredAttention::forward(q, k, v, mask, need_weights);
    return forward_prepared(q, prepare_keys(k), v, mask, need_weights);
  }

  AttentionResult forward_prepared(const Tensor& q, const Tensor& e, const Tensor& v, const AttentionMask& mask,
                                   bool need_weights) override {
    if (!pools(mask, need_weights)) return ScoredAttention::forward_prepared(q, e, v, mask, need_weights);
    check(q.dim() == 4 && e.dim() == 4 && v.dim() == 4 && e.size(3) == 1 && q.size(0) == e.size(0) &&
              v.size(0) == e.size(0) && q.size(1) == e.size(1) && v.size(1) == e.size(1) && v.size(2) == e.size(2),
          "per_position attention: need q (B, H, Tq, Dh), key scores (B, H, Tk, 1), v (B, H, Tk, Dv), got {}, {}, {}",
          q.shape(), e.shape(), v.shape());
    mask.validate("per_position attention", q.size(0), q.size(1), q.size(2), e.size(2));
    const Tensor out = per_position_pool(squeeze(e, -1), v, mask.key_is_pad(), mask.is_causal(), q);
    return {out, Tensor()};  // (B, H, Tq, Dv)
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("w", w_);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(static_cast<double>(config_.head_dim));
    init_uniform_(w_, gen, -bound, bound);
  }

 private:
  // The O(N) op computes exactly this variant's result: nothing needs the weights themselves,
  // they are softmax weights, and the mask is made of causal and key padding only.
  bool pools(const AttentionMask& mask, bool need_weights) const {
    const bool dropout_off = config_.dropout == 0.0 || !training();
    return !need_weights && dropout_off && config_.normaliser == "softmax" && !mask.window_bounds() &&
           !mask.allowed_tensor().defined();
  }

  Tensor w_;  // (H, Dh)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_per_position_attention() {
  register_attention(
      "per_position",
      "one score per key, w·k_j, no query-key product (\"N×1\"); softmax pooling in O(N) memory under causal/padding",
      [](const AttentionConfig& c) { return std::make_unique<PerPositionAttention>(c); });
}

}  // namespace qkv
