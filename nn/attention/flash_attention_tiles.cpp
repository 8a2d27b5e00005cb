// flash_attention_tiles.cpp — the math of one tile of the fused attention: the scores, the
// forward over one query block (online softmax) and the backward of one tile, side by side.
// The recurrences they implement are written out in flash_attention_tiles.h (read it first);
// each step below carries its line from there as a comment.
//
// Chapter order: flash_attention.h, flash_attention_tiles.h, this file,
// flash_attention_tile_mask.h, flash_attention_schedule.cpp, flash_attention.cpp.
#include "nn/attention/flash_attention_tiles.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/blas.h"
#include "tensor/fast_exp.h"
#include "tensor/lane_sum.h"

namespace qkv::flash {
namespace {

// C (m, n; ldc) = alpha·op(A)·op(B) + beta·C, row-major, on this thread (tensor/blas.h).
using blas::gemm;

// P = exp(x - shift) over x[0, n), in place; returns Σ P. Exactly 0 where x - shift < -87.34
// (so where x = -inf, a masked entry). Arguments x - shift are <= 0 up to rounding here.
//
// float32: fast_exp_lanes on 16 floats at a time (tensor/fast_exp.h), so the exponentials and
// the running sum stay in vector registers (a plain loop of fast_exp is vectorised with masked
// stores that the sum's reloads then stall on).
inline float exp_shift_sum(float* x, int64_t n, float shift) {
  constexpr int64_t kLanes = sizeof(FloatLanes) / sizeof(float);
  FloatLanes acc = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    FloatLanes v;
    std::memcpy(&v, x + c, sizeof v);
    v = fast_exp_lanes(v - shift);
    std::memcpy(x + c, &v, sizeof v);
    acc += v;
  }
  if (c < n) {  // the tail, padded with -inf (whose exp is 0)
    FloatLanes v = {};
    v -= std::numeric_limits<float>::infinity();
    std::memcpy(&v, x + c, sizeof(float) * static_cast<size_t>(n - c));
    v = fast_exp_lanes(v - shift);
    std::memcpy(x + c, &v, sizeof(float) * static_cast<size_t>(n - c));
    acc += v;
  }
  float total = 0;
  for (int64_t lane = 0; lane < kLanes; ++lane) total += acc[lane];
  return total;
}

// float64 (the precise path, used by tests): std::exp.
inline double exp_shift_sum(double* x, int64_t n, double shift) {
  double total = 0;
  for (int64_t c = 0; c < n; ++c) {
    x[c] = std::exp(x[c] - shift);
    total += x[c];
  }
  return total;
}

}  // namespace

template <class T>
TileKind Kernel<T>::scores(int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t cols, T* s) const {
  const TileKind kind = mask.kind(b, i0, i0 + rows, j0, j0 + cols);
  if (kind == TileKind::empty) return kind;
  if (Dh == 0) {
    std::fill_n(s, rows * bc, T(0));
  } else if (kt.data == nullptr) {  // rows == 1
    // One query row and K as it is (the schedule transposes nothing for a decoding step): S is
    // a dot product per key, without the transpose and BLAS's packing of Kᵀ.
    const T* qi = q.rows(b, h, i0);
    for (int64_t c = 0; c < cols; ++c) s[c] = scale * lane_dot(Dh, qi, k.rows(b, h, j0 + c));
  } else {
    gemm(false, false, rows, cols, Dh, scale, q.rows(b, h, i0), q.ld, kt.rows(b, h, 0) + j0, kt.ld, T(0), s, bc);
  }
  if (kind == TileKind::partial) mask.apply(s, bc, b, h, i0, rows, j0, cols);
  return kind;
}

// ---- forward: one query block of one head ---------------------------------------------------

template <class T>
void Kernel<T>::forward_block(int64_t b, int64_t h, int64_t qb, const Operand<T>& o, T* lse, Scratch<T>& sc) const {
  constexpr T minus_inf = -std::numeric_limits<T>::infinity();
  const int64_t i0 = qb * br;
  const int64_t rows = std::min(br, Tq - i0);
  T* out = o.rows(b, h, i0);
  T* m = sc.m.data();
  T* l = sc.l.data();
  for (int64_t r = 0; r < rows; ++r) {
    std::fill_n(out + r * o.ld, Dv, T(0));
    m[r] = minus_inf;  // running row max
    l[r] = 0;          // running Σ exp(s - m)
  }
  for (int64_t jb = 0; jb < key_blocks(); ++jb) {
    const int64_t j0 = jb * bc;
    const int64_t cols = std::min(bc, Tk - j0);
    T* s = sc.s.data();
    // S = Q_i·K_jᵀ·scale (rows, cols), -inf where masked
    if (scores(b, h, i0, rows, j0, cols, s) == TileKind::empty) continue;
    for (int64_t r = 0; r < rows; ++r) {
      T* row = s + r * bc;
      // m' = max(m, rowmax S)   (lane_max passes over NaN scores; std::max keeps a NaN m)
      const T m_new = std::max(m[r], lane_max(cols, row));
      if (m_new == minus_inf) {
        // Only a mask may zero a row. Masked scores are -inf; a NaN score is not masked, so a
        // row whose allowed scores are all NaN becomes NaN (m = l = NaN from here on), where it
        // would otherwise pass for a fully masked row. Otherwise nothing is allowed yet: P = 0.
        const bool has_nan = std::any_of(row, row + cols, [](T x) { return x != x; });
        const T fill = has_nan ? std::numeric_limits<T>::quiet_NaN() : T(0);
        std::fill_n(row, cols, fill);
        if (has_nan) m[r] = l[r] = fill;
        continue;
      }
      // P = exp(S - m'); l = l·exp(m - m') + rowsum P
      const T row_total = exp_shift_sum(row, cols, m_new);
      const T alpha = std::exp(m[r] - m_new);  // 0 when m = -inf
      l[r] = l[r] * alpha + row_total;
      m[r] = m_new;
      // O_i = O_i·exp(m - m') (+ P·V_j below)
      if (alpha != T(1)) {
        T* orow = out + r * o.ld;
        for (int64_t c = 0; c < Dv; ++c) orow[c] *= alpha;
      }
    }
    // O_i += P·V_j   (rows, cols)·(cols, Dv); for one row, a sum of V's rows (BLAS would pack V)
    if (Dv > 0 && rows == 1) {
      for (int64_t c = 0; c < cols; ++c) {  // zeros included: 0·NaN is NaN here as in the product
        const T p = s[c];
        const T* vrow = v.rows(b, h, j0 + c);
        for (int64_t d = 0; d < Dv; ++d) out[d] += p * vrow[d];
      }
    } else if (Dv > 0) {
      gemm(false, false, rows, Dv, cols, T(1), s, bc, v.rows(b, h, j0), v.ld, T(1), out, o.ld);
    }
  }
  // O_i = O_i / l; L_i = m + log l (a row with nothing allowed: O_i = 0, L_i = -inf)
  for (int64_t r = 0; r < rows; ++r) {
    T* orow = out + r * o.ld;
    if (l[r] == T(0)) {
      std::fill_n(orow, Dv, T(0));
      lse[i0 + r] = minus_inf;
      continue;
    }
    const T inv = T(1) / l[r];
    for (int64_t c = 0; c < Dv; ++c) orow[c] *= inv;
    lse[i0 + r] = m[r] + std::log(l[r]);
  }
}

// ---- backward: one tile ---------------------------------------------------------------------

template <class T>
void Kernel<T>::backward_tile(int64_t b, int64_t h, int64_t qb, int64_t jb, const Operand<T>& dout, const T* lse,
                              const T* delta, const Operand<T>* dq, const Operand<T>* dk, const Operand<T>* dv,
                              Scratch<T>& sc) const {
  const int64_t i0 = qb * br, j0 = jb * bc;
  const int64_t rows = std::min(br, Tq - i0), cols = std::min(bc, Tk - j0);
  T* p = sc.s.data();
  T* ds = sc.dp.data();
  // S = Q_i·K_jᵀ·scale (rows, cols), -inf where masked
  if (scores(b, h, i0, rows, j0, cols, p) == TileKind::empty) return;
  // P = exp(S - L_i): the forward's weights (0 where masked, and in rows with L = -inf)
  for (int64_t r = 0; r < rows; ++r) {
    T* row = p + r * bc;
    const T L = lse[i0 + r];
    if (L == -std::numeric_limits<T>::infinity()) {
      std::fill_n(row, cols, T(0));
      continue;
    }
    exp_shift_sum(row, cols, L);
  }
  const T* dO = dout.rows(b, h, i0);
  // dV_j += Pᵀ·dO_i   (cols, rows)·(rows, Dv)
  if (dv != nullptr && Dv > 0)
    gemm(true, false, cols, Dv, rows, T(1), p, bc, dO, dout.ld, T(1), dv->rows(b, h, j0), dv->ld);
  // dP = dO_i·V_jᵀ   (rows, Dv)·(Dv, cols), with V_jᵀ read from Vᵀ
  if (Dv > 0) {
    gemm(false, false, rows, cols, Dv, T(1), dO, dout.ld, vt.rows(b, h, 0) + j0, vt.ld, T(0), ds, bc);
  } else {
    std::fill_n(ds, rows * bc, T(0));
  }
  // dS = P ∘ (dP - D_i)
  for (int64_t r = 0; r < rows; ++r) {
    const T* prow = p + r * bc;
    T* drow = ds + r * bc;
    const T D = delta[i0 + r];
    for (int64_t c = 0; c < cols; ++c) drow[c] = prow[c] * (drow[c] - D);
  }
  if (Dh == 0) return;
  // dQ_i += dS·K_j·scale   (rows, cols)·(cols, Dh)
  if (dq != nullptr)
    gemm(false, false, rows, Dh, cols, scale, ds, bc, k.rows(b, h, j0), k.ld, T(1), dq->rows(b, h, i0), dq->ld);
  // dK_j += dSᵀ·Q_i·scale   (cols, rows)·(rows, Dh)
  if (dk != nullptr)
    gemm(true, false, cols, Dh, rows, scale, ds, bc, q.rows(b, h, i0), q.ld, T(1), dk->rows(b, h, j0), dk->ld);
}

template struct Kernel<float>;
template struct Kernel<double>;

}  // namespace qkv::flash
