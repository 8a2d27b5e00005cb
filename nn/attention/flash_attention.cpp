// flash_attention.cpp — tiled softmax attention with an online softmax: forward (FlashAttention)
// and backward (FlashAttention-2) side by side, never materialising the Tq×Tk weights.
//
// Notation, per (batch b, head h): Q (Tq, Dh), K (Tk, Dh), V (Tk, Dv), O (Tq, Dv); a tile is a
// block of Br query rows i and Bc key columns j. Masked entries have S = -inf and P = 0.
//
//   forward, per query block (rows i), running over its key blocks (columns j):
//     S   = Q_i·K_jᵀ·scale                                (Br, Bc)   BLAS
//     m'  = max(m, rowmax S)                              (Br)
//     P   = exp(S - m')                                   (Br, Bc)
//     l   = l·exp(m - m') + rowsum P                      (Br)
//     O_i = O_i·exp(m - m') + P·V_j                       (Br, Dv)   BLAS
//   then O_i = O_i / l and L_i = m + log l (the row's log-sum-exp, saved for backward);
//   a row with nothing allowed has l = 0: O_i = 0 and L_i = -inf.
//
//   backward, with dO the gradient of O:
//     D   = rowsum(dO ∘ O)                                (Tq)
//     per tile: S = Q_i·K_jᵀ·scale; P = exp(S - L_i)      (Br, Bc)   BLAS (0 where masked or L = -inf)
//     dV_j += Pᵀ·dO_i                                     (Bc, Dv)   BLAS
//     dP   = dO_i·V_jᵀ                                    (Br, Bc)   BLAS
//     dS   = P ∘ (dP - D_i)                               (Br, Bc)
//     dQ_i += dS·K_j·scale                                (Br, Dh)   BLAS
//     dK_j += dSᵀ·Q_i·scale                               (Bc, Dh)   BLAS
//
// PARALLELISM. Work is split into tasks handed out dynamically (an atomic counter) to qkv's
// threads through parallel_for, heaviest first; OpenBLAS is always single-threaded (tensor/blas.h),
// so the cores are never oversubscribed. Forward tasks are (b, h, query block). Backward tasks are
// (b, h): a task owns all of dQ, dK, dV of its head, so nothing is shared. When there are too
// few heads to keep the threads busy, the backward runs in two passes instead: (b, h, key
// block) tasks accumulate dK_j, dV_j, then (b, h, query block) tasks accumulate dQ_i (S, P and
// dP are computed twice, the price of having no shared accumulators).
//
// MEMORY. Outputs and gradients are allocated as (B, T, H, D) and returned as (B, H, T, D) views,
// the layout MultiHeadAttention's head split and merge use, so neither side copies. Besides
// them: L (B, H, Tq) saved for backward; while running, Kᵀ (and in backward Vᵀ) as contiguous
// (B, H, D, Tk) copies — or, when each task owns a whole head, just that head's, transposed by
// the task itself — D (B, H, Tq), and two Br×Bc tiles per thread. Never anything Tq×Tk.
#include "nn/attention/flash_attention.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "autograd/record.h"
#include "tensor/blas.h"
#include "tensor/factories.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// ---- BLAS -----------------------------------------------------------------------------------

// C (m, n; ldc) = alpha·op(A)·op(B) + beta·C, row-major, on this thread (tensor/blas.h).
using blas::gemm;

// ---- exp ------------------------------------------------------------------------------------

// P = exp(x - shift) over x[0, n), in place; returns Σ P. Exactly 0 where x - shift < -87
// (so where x = -inf, a masked entry). Arguments x - shift are <= 0 up to rounding here.
//
// float32: Cephes' expf polynomial (within 1e-7 relative), written on 64-byte vectors with
// GCC's vector extension, so exponentials and the running sum stay in registers (a plain loop
// is vectorised with masked stores that the sum's reloads then stall on).
//   eˣ = 2ⁿ·eʳ,  n = round(x / ln 2),  r = x - n·ln 2 (|r| <= ln2 / 2),  eʳ ≈ 1 + r + r²·p(r)
typedef float float_vec __attribute__((vector_size(64)));
typedef int32_t int_vec __attribute__((vector_size(64)));
constexpr int64_t kFloatLanes = sizeof(float_vec) / sizeof(float);

inline float_vec vec_exp(float_vec x) {
  constexpr float log2e = 1.44269504088896341f;
  constexpr float ln2_hi = 0.693359375f;
  constexpr float ln2_lo = -2.12194440e-4f;
  constexpr float round_magic = 12582912.0f;  // 1.5·2²³: adding and subtracting it rounds to nearest
  const float_vec zero = {};
  const float_vec lo = zero - 87.0f, hi = zero + 88.0f;
  const float_vec xc = x < lo ? lo : (x > hi ? hi : x);
  const float_vec n = (xc * log2e + round_magic) - round_magic;
  const float_vec r = xc - n * ln2_hi - n * ln2_lo;
  float_vec p = zero + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int_vec bits = (__builtin_convertvector(n, int_vec) + 127) << 23;  // 2ⁿ as floats' bits
  const float_vec e = p * std::bit_cast<float_vec>(bits);
  return x < lo ? zero : e;
}

inline float exp_shift_sum(float* x, int64_t n, float shift) {
  float_vec acc = {};
  int64_t c = 0;
  for (; c + kFloatLanes <= n; c += kFloatLanes) {
    float_vec v;
    std::memcpy(&v, x + c, sizeof v);
    v = vec_exp(v - shift);
    std::memcpy(x + c, &v, sizeof v);
    acc += v;
  }
  if (c < n) {  // the tail, padded with -inf (whose exp is 0)
    float_vec v = {};
    v -= std::numeric_limits<float>::infinity();
    std::memcpy(&v, x + c, sizeof(float) * static_cast<size_t>(n - c));
    v = vec_exp(v - shift);
    std::memcpy(x + c, &v, sizeof(float) * static_cast<size_t>(n - c));
    acc += v;
  }
  float total = 0;
  for (int64_t lane = 0; lane < kFloatLanes; ++lane) total += acc[lane];
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

// Max of x[0, n), accumulated in a 64-byte vector (GCC's vector extension): the compiler does
// not vectorise a plain floating-point max reduction by itself.
template <class T>
T row_max(const T* x, int64_t n) {
  typedef T vec __attribute__((vector_size(64)));
  constexpr int64_t lanes = sizeof(vec) / sizeof(T);
  T best = -std::numeric_limits<T>::infinity();
  int64_t c = 0;
  if (n >= lanes) {
    vec acc;
    std::memcpy(&acc, x, sizeof acc);
    for (c = lanes; c + lanes <= n; c += lanes) {
      vec v;
      std::memcpy(&v, x + c, sizeof v);
      acc = v > acc ? v : acc;
    }
    for (int64_t lane = 0; lane < lanes; ++lane) best = acc[lane] > best ? acc[lane] : best;
  }
  for (; c < n; ++c) best = x[c] > best ? x[c] : best;
  return best;
}

// Σ x[c]·y[c] over [0, n), accumulated in a 64-byte vector like row_max.
template <class T>
T row_dot(const T* x, const T* y, int64_t n) {
  typedef T vec __attribute__((vector_size(64)));
  constexpr int64_t lanes = sizeof(vec) / sizeof(T);
  vec acc = {};
  int64_t c = 0;
  for (; c + lanes <= n; c += lanes) {
    vec a, b;
    std::memcpy(&a, x + c, sizeof a);
    std::memcpy(&b, y + c, sizeof b);
    acc += a * b;
  }
  T total = 0;
  for (int64_t lane = 0; lane < lanes; ++lane) total += acc[lane];
  for (; c < n; ++c) total += x[c] * y[c];
  return total;
}

// ---- operands -------------------------------------------------------------------------------

// A (B, H, T, D) operand as BLAS sees it: row i of head (b, h) starts at
// data + b·sb + h·sh + i·ld, its D elements contiguous.
template <class T>
struct Operand {
  T* data = nullptr;
  int64_t sb = 0, sh = 0, ld = 1;
  T* rows(int64_t b, int64_t h, int64_t i) const { return data + b * sb + h * sh + i * ld; }
};

// t itself if its rows suit BLAS (unit column stride, row stride >= D), else a contiguous copy.
Tensor blas_ready(const Tensor& t) {
  const int64_t rows = t.size(2), cols = t.size(3);
  const bool cols_ok = cols <= 1 || t.strides()[3] == 1;
  const bool rows_ok = rows <= 1 || t.strides()[2] >= std::max<int64_t>(cols, 1);
  return cols_ok && rows_ok ? t : raw::contiguous(t);
}

template <class T>
Operand<T> operand(const Tensor& t) {
  const int64_t cols = std::max<int64_t>(t.size(3), 1);
  const int64_t ld = t.size(2) <= 1 ? cols : t.strides()[2];
  check(ld <= INT_MAX, "flash_attention: row stride {} is too large for BLAS", ld);
  return {t.data<T>(), t.strides()[0], t.strides()[1], ld};
}

// A zero-filled or uninitialised (B, H, T, D) tensor laid out as (B, T, H, D).
Tensor heads_last(int64_t B, int64_t H, int64_t T, int64_t D, Dtype dtype, bool zero) {
  const Tensor t = zero ? zeros({B, T, H, D}, dtype) : Tensor::empty({B, T, H, D}, dtype);
  return raw::transpose(t, 1, 2);
}

// ---- the mask, per tile ---------------------------------------------------------------------

enum class TileKind { empty, full, partial };

// The mask's pieces, evaluated at (b, h, i, j) without building the Tq×Tk matrix.
struct MaskView {
  int64_t tq = 0, tk = 0;
  bool causal = false;
  bool windowed = false;
  int64_t left = 0, right = 0;
  const bool* pad = nullptr;  // key_is_pad (B, Tk), true = padding
  int64_t pad_sb = 0, pad_sj = 0;
  const bool* allowed = nullptr;  // broadcast to (B, H, Tq, Tk), true = may attend
  int64_t al_sb = 0, al_sh = 0, al_si = 0, al_sj = 0;

  MaskView(const AttentionMask& mask, int64_t batch, int64_t heads, int64_t tq_, int64_t tk_) : tq(tq_), tk(tk_) {
    causal = mask.is_causal();
    if (const auto& w = mask.window_bounds()) {
      windowed = true;
      left = w->first;
      right = w->second;
    }
    if (const Tensor& p = mask.key_is_pad(); p.defined()) {
      pad = p.data<bool>();
      pad_sb = p.strides()[0];
      pad_sj = p.strides()[1];
    }
    if (const Tensor& a = mask.allowed_tensor(); a.defined()) {
      allowed = a.data<bool>();
      int64_t* strides[4] = {&al_sb, &al_sh, &al_si, &al_sj};
      const int64_t lead = 4 - a.dim();
      for (int64_t d = 0; d < a.dim(); ++d) *strides[lead + d] = a.shape()[d] == 1 ? 0 : a.strides()[d];
    }
    (void)batch;
    (void)heads;
  }

  // Keys [lo, hi) that the structured pieces (causal, window) allow query i; empty if lo >= hi.
  // Query i sits at key position i + (Tk - Tq).
  std::pair<int64_t, int64_t> key_range(int64_t i) const {
    const int64_t pos = i + (tk - tq);
    int64_t lo = 0, hi = tk;
    if (causal) hi = std::min(hi, pos + 1);
    if (windowed) {
      lo = std::max(lo, pos - left);
      hi = std::min(hi, pos + right + 1);
    }
    return {lo, hi};
  }

  // Whether the tile rows [i0, i1) × keys [j0, j1) of batch b is entirely masked, entirely
  // allowed, or neither (then each entry is tested).
  TileKind kind(int64_t b, int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
    bool any = false, all = true;
    for (int64_t i = i0; i < i1; ++i) {
      const auto [lo, hi] = key_range(i);
      if (std::max(lo, j0) < std::min(hi, j1)) any = true;
      if (lo > j0 || hi < j1) all = false;
    }
    if (!any) return TileKind::empty;
    if (pad != nullptr) {
      int64_t pads = 0;
      for (int64_t j = j0; j < j1; ++j) pads += pad[b * pad_sb + j * pad_sj] ? 1 : 0;
      if (pads == j1 - j0) return TileKind::empty;
      if (pads > 0) all = false;
    }
    if (allowed != nullptr) all = false;
    return all ? TileKind::full : TileKind::partial;
  }

  // Sets the masked entries of the tile rows [i0, i0 + rows) × keys [j0, j0 + cols) of head
  // (b, h) to -inf; s has row stride lds.
  template <class T>
  void apply(T* s, int64_t lds, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t cols) const {
    constexpr T minus_inf = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < rows; ++r) {
      T* row = s + r * lds;
      const int64_t i = i0 + r;
      const auto [lo, hi] = key_range(i);
      const int64_t c_lo = std::clamp<int64_t>(lo - j0, 0, cols);
      const int64_t c_hi = std::clamp<int64_t>(hi - j0, c_lo, cols);
      for (int64_t c = 0; c < c_lo; ++c) row[c] = minus_inf;
      for (int64_t c = c_hi; c < cols; ++c) row[c] = minus_inf;
      if (pad != nullptr) {
        const bool* p = pad + b * pad_sb + j0 * pad_sj;
        for (int64_t c = c_lo; c < c_hi; ++c) {
          if (p[c * pad_sj]) row[c] = minus_inf;
        }
      }
      if (allowed != nullptr) {
        const bool* a = allowed + b * al_sb + h * al_sh + i * al_si + j0 * al_sj;
        for (int64_t c = c_lo; c < c_hi; ++c) {
          if (!a[c * al_sj]) row[c] = minus_inf;
        }
      }
    }
  }
};

// ---- the kernel -----------------------------------------------------------------------------

// Per-thread scratch: two Br×Bc tiles and the running row statistics.
template <class T>
struct Scratch {
  std::vector<T> s, dp, m, l;
  std::vector<T> kt, vt;  // one head's Kᵀ and Vᵀ, when each task owns a whole head
  Scratch(int64_t br, int64_t bc)
      : s(static_cast<size_t>(br * bc)),
        dp(static_cast<size_t>(br * bc)),
        m(static_cast<size_t>(br)),
        l(static_cast<size_t>(br)) {}
};

// Runs work(task, scratch) for task in [0, count), handing tasks out dynamically to qkv's
// threads (each with its own scratch).
template <class T, class Work>
void run_tasks(int64_t count, int64_t br, int64_t bc, const Work& work) {
  if (count <= 0) return;
  const int64_t workers = std::min<int64_t>(num_threads(), count);
  std::atomic<int64_t> next{0};
  parallel_for(workers, 1, [&](int64_t, int64_t) {
    Scratch<T> scratch(br, bc);
    for (int64_t task = next.fetch_add(1); task < count; task = next.fetch_add(1)) work(task, scratch);
  });
}

template <class T>
struct FlashKernel {
  int64_t B, H, Tq, Tk, Dh, Dv;
  T scale;
  int64_t br, bc;  // tile rows (queries) and columns (keys)
  MaskView mask;
  Operand<T> q, k, v;
  // Kᵀ (B, H, Dh, Tk) and, for backward, Vᵀ (B, H, Dv, Tk), contiguous: S = Q·Kᵀ and dP = dO·Vᵀ
  // as plain products, which OpenBLAS's small-matrix kernels take (its A·Bᵀ path packs the
  // operands and is about 1.5× slower on these tiles).
  Operand<T> kt, vt;

  int64_t query_blocks() const { return (Tq + br - 1) / br; }
  int64_t key_blocks() const { return (Tk + bc - 1) / bc; }

  // S (rows, cols; ld bc) = Q_i·K_jᵀ·scale with masked entries -inf; returns the tile's kind
  // (S is not computed for an empty tile).
  TileKind scores(int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t cols, T* s) const {
    const TileKind kind = mask.kind(b, i0, i0 + rows, j0, j0 + cols);
    if (kind == TileKind::empty) return kind;
    if (Dh == 0) {
      std::fill_n(s, rows * bc, T(0));
    } else {
      gemm(false, false, rows, cols, Dh, scale, q.rows(b, h, i0), q.ld, kt.rows(b, h, 0) + j0, kt.ld, T(0), s, bc);
    }
    if (kind == TileKind::partial) mask.apply(s, bc, b, h, i0, rows, j0, cols);
    return kind;
  }

  // ---- forward: one query block of one head -------------------------------------------------
  // O_i (rows, Dv) written in place; L_i (rows) = log-sum-exp of each row's scores.
  void forward_block(int64_t b, int64_t h, int64_t qb, const Operand<T>& o, T* lse, Scratch<T>& sc) const {
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
        // m' = max(m, rowmax S)
        const T m_new = std::max(m[r], row_max(row, cols));
        if (m_new == minus_inf) {  // nothing allowed yet in this row: P = 0
          std::fill_n(row, cols, T(0));
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
      // O_i += P·V_j   (rows, cols)·(cols, Dv)
      if (Dv > 0) gemm(false, false, rows, Dv, cols, T(1), s, bc, v.rows(b, h, j0), v.ld, T(1), out, o.ld);
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

  // ---- backward: one tile -------------------------------------------------------------------
  // Adds the tile's share to dQ_i (if dq) and to dK_j, dV_j (if dkv). lse and delta are the
  // head's L and D (Tq).
  void backward_tile(int64_t b, int64_t h, int64_t qb, int64_t jb, const Operand<T>& dout, const T* lse, const T* delta,
                     const Operand<T>* dq, const Operand<T>* dk, const Operand<T>* dv, Scratch<T>& sc) const {
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
};

struct Sizes {
  int64_t B, H, Tq, Tk, Dh, Dv;
};

Sizes checked_sizes(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                    const FlashAttentionTiles& tiles) {
  check(q.defined() && k.defined() && v.defined(), "flash_attention: q, k or v is undefined");
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
        "flash_attention: expected q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv), got {}, {}, {}", q.shape(),
        k.shape(), v.shape());
  const int64_t B = q.size(0), H = q.size(1), Tq = q.size(2), Tk = k.size(2);
  check(
      k.size(0) == B && v.size(0) == B && k.size(1) == H && v.size(1) == H && v.size(2) == Tk && k.size(3) == q.size(3),
      "flash_attention: q {}, k {} and v {} disagree (need q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv))",
      q.shape(), k.shape(), v.shape());
  check(q.dtype() == k.dtype() && q.dtype() == v.dtype(), "flash_attention: dtypes differ: q {}, k {}, v {}", q.dtype(),
        k.dtype(), v.dtype());
  check(is_floating(q.dtype()), "flash_attention: needs float32 or float64, got {}", q.dtype());
  check(tiles.query_block >= 0 && tiles.key_block >= 0, "flash_attention: tile sizes {}×{} must not be negative",
        tiles.query_block, tiles.key_block);
  check(std::max({q.size(3), v.size(3), Tq, Tk}) <= INT_MAX, "flash_attention: sizes too large for BLAS");
  mask.validate("flash_attention", B, H, Tq, Tk);
  return {B, H, Tq, Tk, q.size(3), v.size(3)};
}

template <class T>
FlashKernel<T> make_kernel(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                           double scale, const FlashAttentionTiles& tiles) {
  return FlashKernel<T>{z.B,
                        z.H,
                        z.Tq,
                        z.Tk,
                        z.Dh,
                        z.Dv,
                        static_cast<T>(scale),
                        tiles.query_block,
                        tiles.key_block,
                        MaskView(mask, z.B, z.H, z.Tq, z.Tk),
                        operand<T>(q),
                        operand<T>(k),
                        operand<T>(v),
                        {},
                        {}};
}

// Head (b, h) of x (B, H, T, D) transposed into dst (D, T), contiguous.
template <class T>
void transpose_head(const Operand<T>& x, int64_t b, int64_t h, int64_t T_len, int64_t D, T* dst) {
  constexpr int64_t block = 64;  // a block of 64 source rows stays in L1 while it is read D times
  for (int64_t j0 = 0; j0 < T_len; j0 += block) {
    const int64_t n = std::min(block, T_len - j0);
    const T* src = x.rows(b, h, j0);
    for (int64_t d = 0; d < D; ++d) {
      T* row = dst + d * T_len + j0;
      for (int64_t j = 0; j < n; ++j) row[j] = src[j * x.ld + d];
    }
  }
}

// x (B, H, T, D) → xᵀ (B, H, D, T), contiguous, one head per task.
template <class T>
Tensor transposed_heads(const Operand<T>& x, int64_t B, int64_t H, int64_t T_len, int64_t D, Dtype dtype,
                        Operand<T>& view) {
  Tensor out = Tensor::empty({B, H, D, T_len}, dtype);
  view = {out.data<T>(), H * D * T_len, D * T_len, std::max<int64_t>(T_len, 1)};
  const Operand<T> dst = view;
  run_tasks<T>(B * H, 1, 1, [&](int64_t bh, Scratch<T>&) {
    transpose_head(x, bh / H, bh % H, T_len, D, dst.rows(bh / H, bh % H, 0));
  });
  return out;
}

// The kernel with head (b, h)'s xᵀ (D, T) transposed into `buffer`: its operand then points at
// the buffer for every head (only (b, h) is ever read through it). Used when one task owns a
// whole head, so the transposes need no pass of their own over all heads.
template <class T>
Operand<T> own_transposed(const Operand<T>& x, int64_t b, int64_t h, int64_t T_len, int64_t D,
                          std::vector<T>& buffer) {
  buffer.resize(static_cast<size_t>(std::max<int64_t>(D * T_len, 1)));
  transpose_head(x, b, h, T_len, D, buffer.data());
  return {buffer.data(), 0, 0, std::max<int64_t>(T_len, 1)};
}

// Forward: out (B, H, Tq, Dv) and lse (B, H, Tq). q, k, v are BLAS-ready.
template <class T>
void forward(FlashKernel<T> kern, const Tensor& out, const Tensor& lse) {
  const Operand<T> o = operand<T>(out);
  T* L = lse.data<T>();
  const int64_t heads = kern.B * kern.H, blocks = kern.query_blocks();
  if (blocks == 1) {
    // One task per head (short sequences): each transposes its own head's K.
    run_tasks<T>(heads, kern.br, kern.bc, [&](int64_t bh, Scratch<T>& sc) {
      const int64_t b = bh / kern.H, h = bh % kern.H;
      FlashKernel<T> own = kern;
      own.kt = own_transposed(kern.k, b, h, kern.Tk, kern.Dh, sc.kt);
      own.forward_block(b, h, 0, o, L + bh * kern.Tq, sc);
    });
    return;
  }
  const Tensor kt = transposed_heads(kern.k, kern.B, kern.H, kern.Tk, kern.Dh, lse.dtype(), kern.kt);
  // Task t: query block (blocks - 1 - t / heads) of head t % heads — late (causally heavier)
  // blocks first, so the light ones fill the gaps at the end.
  run_tasks<T>(heads * blocks, kern.br, kern.bc, [&](int64_t task, Scratch<T>& sc) {
    const int64_t bh = task % heads, qb = blocks - 1 - task / heads;
    kern.forward_block(bh / kern.H, bh % kern.H, qb, o, L + bh * kern.Tq, sc);
  });
}

// Backward: dq, dk, dv (zero-filled, BLAS-ready layout) from dout; lse (B, H, Tq) from forward.
template <class T>
void backward(FlashKernel<T> kern, const Tensor& out, const Tensor& dout, const Tensor& lse, const Tensor& dq,
              const Tensor& dk, const Tensor& dv) {
  const int64_t B = kern.B, H = kern.H, Tq = kern.Tq, Dv = kern.Dv;
  const int64_t heads = B * H;
  const Operand<T> o = operand<T>(out), d_out = operand<T>(dout);
  const Operand<T> gq = operand<T>(dq), gk = operand<T>(dk), gv = operand<T>(dv);
  const T* L = lse.data<T>();
  // D = rowsum(dO ∘ O)   (B, H, Tq)
  std::vector<T> delta(static_cast<size_t>(heads * Tq));
  parallel_for(heads * Tq, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const int64_t bh = n / Tq, i = n % Tq;
      delta[static_cast<size_t>(n)] = row_dot(o.rows(bh / H, bh % H, i), d_out.rows(bh / H, bh % H, i), Dv);
    }
  });
  const int64_t qblocks = kern.query_blocks(), kblocks = kern.key_blocks();
  auto tile = [&](const FlashKernel<T>& kn, int64_t bh, int64_t qb, int64_t jb, bool with_dq, bool with_dkv,
                  Scratch<T>& sc) {
    kn.backward_tile(bh / H, bh % H, qb, jb, d_out, L + bh * Tq, delta.data() + bh * Tq, with_dq ? &gq : nullptr,
                     with_dkv ? &gk : nullptr, with_dkv ? &gv : nullptr, sc);
  };
  if (heads >= 4 * num_threads() || num_threads() == 1 || (qblocks == 1 && kblocks == 1)) {
    // One task per head: dQ, dK and dV of the head are the task's own, and so are the
    // transposed K and V it reads.
    run_tasks<T>(heads, kern.br, kern.bc, [&](int64_t bh, Scratch<T>& sc) {
      FlashKernel<T> own = kern;
      own.kt = own_transposed(kern.k, bh / H, bh % H, kern.Tk, kern.Dh, sc.kt);
      own.vt = own_transposed(kern.v, bh / H, bh % H, kern.Tk, kern.Dv, sc.vt);
      for (int64_t jb = 0; jb < kblocks; ++jb) {
        for (int64_t qb = 0; qb < qblocks; ++qb) tile(own, bh, qb, jb, true, true, sc);
      }
    });
    return;
  }
  const Tensor kt = transposed_heads(kern.k, B, H, kern.Tk, kern.Dh, lse.dtype(), kern.kt);
  const Tensor vt = transposed_heads(kern.v, B, H, kern.Tk, kern.Dv, lse.dtype(), kern.vt);
  // Few heads: dK_j, dV_j per (head, key block) — early (causally heavier) key blocks first —
  // then dQ_i per (head, query block), late blocks first.
  run_tasks<T>(heads * kblocks, kern.br, kern.bc, [&](int64_t task, Scratch<T>& sc) {
    const int64_t bh = task % heads, jb = task / heads;
    for (int64_t qb = 0; qb < qblocks; ++qb) tile(kern, bh, qb, jb, false, true, sc);
  });
  run_tasks<T>(heads * qblocks, kern.br, kern.bc, [&](int64_t task, Scratch<T>& sc) {
    const int64_t bh = task % heads, qb = qblocks - 1 - task / heads;
    for (int64_t jb = 0; jb < kblocks; ++jb) tile(kern, bh, qb, jb, true, false, sc);
  });
}

// The tile sizes to run with: the requested ones, or by length where 0.
FlashAttentionTiles resolved(const Sizes& z, const FlashAttentionTiles& requested) {
  const int64_t auto_block = std::max(z.Tq, z.Tk) >= 1024 ? 128 : 64;
  return {requested.query_block > 0 ? requested.query_block : auto_block,
          requested.key_block > 0 ? requested.key_block : auto_block};
}

// The forward on BLAS-ready q, k, v: out (B, H, Tq, Dv), a view of (B, Tq, H, Dv), and the
// log-sum-exp L (B, H, Tq) the backward needs.
std::pair<Tensor, Tensor> attend(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v,
                                 const AttentionMask& mask, double scale, const FlashAttentionTiles& tiles) {
  Tensor out = heads_last(z.B, z.H, z.Tq, z.Dv, q.dtype(), false);
  Tensor lse = Tensor::empty({z.B, z.H, z.Tq}, q.dtype());  // L = m + log l per query row
  dispatch_floating("flash_attention", q.dtype(), [&](auto tag) {
    using T = decltype(tag);
    forward(make_kernel<T>(z, q, k, v, mask, scale, tiles), out, lse);
  });
  return {out, lse};
}

// The backward: accumulates into dq, dk, dv (zero-filled, any BLAS-ready layout).
void attend_backward(const Sizes& z, const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                     double scale, const FlashAttentionTiles& tiles, const Tensor& out, const Tensor& lse,
                     const Tensor& grad_out, const Tensor& dq, const Tensor& dk, const Tensor& dv) {
  const Tensor dout = blas_ready(grad_out);
  dispatch_floating("flash_attention", q.dtype(), [&](auto tag) {
    using T = decltype(tag);
    backward(make_kernel<T>(z, q, k, v, mask, scale, tiles), out, dout, lse, dq, dk, dv);
  });
}

// Part `part` (0: q, 1: k, 2: v) of a contiguous packed qkv (B, T, 3·H·D), as a (B, H, T, D)
// view: row stride 3·H·D, so BLAS reads it in place.
Tensor packed_part(const Tensor& qkv, int64_t heads, int64_t part) {
  const int64_t B = qkv.size(0), T = qkv.size(1), E = qkv.size(2) / 3, D = E / heads;
  return qkv.as_strided({B, heads, T, D}, {T * 3 * E, D, 3 * E, 1}, qkv.offset() + part * E);
}

}  // namespace

Tensor flash_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionMask& mask,
                       double scale, const FlashAttentionTiles& requested_tiles) {
  const Sizes z = checked_sizes(q_in, k_in, v_in, mask, requested_tiles);
  const FlashAttentionTiles tiles = resolved(z, requested_tiles);
  // BLAS-ready operands: the inputs themselves unless their rows are not contiguous.
  const Tensor q = blas_ready(q_in), k = blas_ready(k_in), v = blas_ready(v_in);
  auto [out, lse] = attend(z, q, k, v, mask, scale, tiles);
  if (needs_grad(q_in, k_in, v_in)) {
    record("flash_attention", out, {q_in, k_in, v_in},
           [sq = save("flash_attention", q), sk = save("flash_attention", k), sv = save("flash_attention", v),
            so = save("flash_attention", out), sl = save("flash_attention", lse), mask, scale, tiles,
            z](const Tensor& grad_out) -> Grads {
             const Dtype dtype = sq.get().dtype();
             Tensor dq = heads_last(z.B, z.H, z.Tq, z.Dh, dtype, true);  // (B, H, Tq, Dh)
             Tensor dk = heads_last(z.B, z.H, z.Tk, z.Dh, dtype, true);  // (B, H, Tk, Dh)
             Tensor dv = heads_last(z.B, z.H, z.Tk, z.Dv, dtype, true);  // (B, H, Tk, Dv)
             attend_backward(z, sq.get(), sk.get(), sv.get(), mask, scale, tiles, so.get(), sl.get(), grad_out, dq, dk, dv);
             return {dq, dk, dv};
           });
  }
  return out;
}

Tensor flash_attention_packed(const Tensor& qkv_in, int64_t heads, const AttentionMask& mask, double scale,
                              const FlashAttentionTiles& requested_tiles) {
  check(qkv_in.defined() && qkv_in.dim() == 3 && heads > 0 && qkv_in.size(2) % (3 * heads) == 0,
        "flash_attention_packed: qkv must be (B, T, 3·H·Dh) with H = {} heads, got {}", heads,
        qkv_in.defined() ? qkv_in.shape() : Shape{});
  const Tensor qkv = qkv_in.is_contiguous() ? qkv_in : raw::contiguous(qkv_in);
  const Tensor q = packed_part(qkv, heads, 0), k = packed_part(qkv, heads, 1), v = packed_part(qkv, heads, 2);
  const Sizes z = checked_sizes(q, k, v, mask, requested_tiles);
  const FlashAttentionTiles tiles = resolved(z, requested_tiles);
  auto [out, lse] = attend(z, q, k, v, mask, scale, tiles);
  if (needs_grad(qkv_in)) {
    record("flash_attention_packed", out, {qkv_in},
           [sqkv = save("flash_attention_packed", qkv), so = save("flash_attention_packed", out),
            sl = save("flash_attention_packed", lse), heads, mask, scale, tiles, z](const Tensor& grad_out) -> Grads {
             const Tensor& x = sqkv.get();
             // One gradient buffer, laid out like qkv: the kernel writes dq, dk and dv into
             // their thirds of it, so nothing is split or summed afterwards.
             Tensor dqkv = zeros(x.shape(), x.dtype());
             attend_backward(z, packed_part(x, heads, 0), packed_part(x, heads, 1), packed_part(x, heads, 2),
                             mask, scale, tiles, so.get(), sl.get(), grad_out, packed_part(dqkv, heads, 0),
                             packed_part(dqkv, heads, 1), packed_part(dqkv, heads, 2));
             return {dqkv};
           });
  }
  return out;
}

}  // namespace qkv
