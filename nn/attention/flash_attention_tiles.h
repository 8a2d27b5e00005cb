// flash_attention_tiles.h — the fused attention's algorithm, and the state of its kernel: tiled
// softmax attention with an online softmax, forward (FlashAttention) and backward
// (FlashAttention-2), never materialising the Tq×Tk weights.
//
// The advanced chapter of qkv; read in this order:
//   flash_attention.h            the op and its contract
//   flash_attention_tiles.h      (this file) the algorithm and the kernel's state
//   flash_attention_tiles.cpp    the math of one tile, forward and backward side by side
//   flash_attention_tile_mask.h  which scores of a tile the mask hides
//   flash_attention_schedule.cpp how tiles become tasks on the threads, and the K/V transposes
//   flash_attention.cpp          the op: checks, layouts, autograd
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
//   (m is the running row max and l the running Σ exp(S - m): when a later block raises the max,
//   exp(m - m') rescales what was summed under the old one, so one pass over K and V suffices.)
//
//   backward, with dO the gradient of O:
//     D   = rowsum(dO ∘ O)                                (Tq)
//     per tile: S = Q_i·K_jᵀ·scale; P = exp(S - L_i)      (Br, Bc)   BLAS (0 where masked or L = -inf)
//     dV_j += Pᵀ·dO_i                                     (Bc, Dv)   BLAS
//     dP   = dO_i·V_jᵀ                                    (Br, Bc)   BLAS
//     dS   = P ∘ (dP - D_i)                               (Br, Bc)
//     dQ_i += dS·K_j·scale                                (Br, Dh)   BLAS
//     dK_j += dSᵀ·Q_i·scale                               (Bc, Dh)   BLAS
//   (P is recomputed from the saved L instead of stored: the softmax Jacobian-vector product
//   dS = P ∘ (dP - rowsum(P ∘ dP)) uses rowsum(P ∘ dP) = rowsum(dO ∘ O) = D.)
//
// Everything here works on one tile of one head and touches only the tile's own rows of the
// outputs; which tiles run on which thread is flash_attention_schedule.cpp's business.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

#include "nn/attention/flash_attention_tile_mask.h"
#include "tensor/error.h"
#include "tensor/tensor.h"

namespace qkv::flash {

// A (B, H, T, D) operand as BLAS sees it: row i of head (b, h) starts at
// data + b·sb + h·sh + i·ld, its D elements contiguous.
template <class T>
struct Operand {
  T* data = nullptr;
  int64_t sb = 0, sh = 0, ld = 1;
  T* rows(int64_t b, int64_t h, int64_t i) const { return data + b * sb + h * sh + i * ld; }
};

// The operand of t (B, H, T, D), whose rows must suit BLAS (unit column stride).
template <class T>
Operand<T> operand(const Tensor& t) {
  const int64_t cols = std::max<int64_t>(t.size(3), 1);
  const int64_t ld = t.size(2) <= 1 ? cols : t.strides()[2];
  check(ld <= INT_MAX, "flash_attention: row stride {} is too large for BLAS", ld);
  return {t.data<T>(), t.strides()[0], t.strides()[1], ld};
}

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

// Everything a tile reads: sizes, tile shape, the mask and the operands. Built with named
// fields (flash_attention.cpp's make_kernel); copied cheaply (pointers and sizes only).
template <class T>
struct Kernel {
  int64_t B = 0, H = 0, Tq = 0, Tk = 0, Dh = 0, Dv = 0;
  T scale = 1;
  int64_t br = 0, bc = 0;  // tile rows (queries) and columns (keys)
  TileMask mask;
  Operand<T> q, k, v;
  // Kᵀ (B, H, Dh, Tk) and, for backward, Vᵀ (B, H, Dv, Tk), contiguous: S = Q·Kᵀ and dP = dO·Vᵀ
  // as plain products, which OpenBLAS's small-matrix kernels take (its A·Bᵀ path packs the
  // operands and is about 1.5× slower on these tiles). Set by the schedule, except for a single
  // query row (a decoding step), whose scores are dot products with K's own rows.
  Operand<T> kt = {}, vt = {};

  int64_t query_blocks() const { return (Tq + br - 1) / br; }
  int64_t key_blocks() const { return (Tk + bc - 1) / bc; }

  // S (rows, cols; ld bc) = Q_i·K_jᵀ·scale with masked entries -inf; returns the tile's kind
  // (S is not computed for an empty tile).
  TileKind scores(int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t cols, T* s) const;

  // Forward, one query block qb of head (b, h): O_i (rows, Dv) written in place through o;
  // lse (the head's L, Tq) gets L_i = the log-sum-exp of each row's scores.
  void forward_block(int64_t b, int64_t h, int64_t qb, const Operand<T>& o, T* lse, Scratch<T>& sc) const;

  // Backward, one tile (query block qb, key block jb) of head (b, h): adds the tile's share to
  // dQ_i (if dq) and to dK_j, dV_j (if dk, dv). lse and delta are the head's L and D (Tq).
  void backward_tile(int64_t b, int64_t h, int64_t qb, int64_t jb, const Operand<T>& dout, const T* lse, const T* delta,
                     const Operand<T>* dq, const Operand<T>* dk, const Operand<T>* dv, Scratch<T>& sc) const;
};

extern template struct Kernel<float>;
extern template struct Kernel<double>;

}  // namespace qkv::flash
