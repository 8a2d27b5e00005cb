// flash_attention_schedule.cpp — how the fused attention's tiles become tasks on qkv's threads,
// and where the transposed K and V they read come from. No attention math here: every task
// calls Kernel::forward_block or Kernel::backward_tile (flash_attention_tiles.cpp).
//
// Chapter order: flash_attention.h, flash_attention_tiles.h, flash_attention_tiles.cpp,
// flash_attention_tile_mask.h, this file, flash_attention.cpp.
//
// PARALLELISM. Work is split into tasks handed out dynamically (an atomic counter) to qkv's
// threads through parallel_for, heaviest first; OpenBLAS is always single-threaded (tensor/blas.h),
// so the cores are never oversubscribed. Forward tasks are (b, h, query block). Backward tasks are
// (b, h): a task owns all of dQ, dK, dV of its head, so nothing is shared. When there are too
// few heads to keep the threads busy, the backward runs in two passes instead: (b, h, key
// block) tasks accumulate dK_j, dV_j, then (b, h, query block) tasks accumulate dQ_i (S, P and
// dP are computed twice, the price of having no shared accumulators).
//
// MEMORY. Besides the outputs and gradients: while running, Kᵀ (and in backward Vᵀ) as
// contiguous (B, H, D, Tk) copies — or, when each task owns a whole head, just that head's,
// transposed by the task itself — D (B, H, Tq), and two Br×Bc tiles per thread. Never anything
// Tq×Tk.
#include "nn/attention/flash_attention_schedule.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "tensor/grain.h"
#include "tensor/lane_sum.h"
#include "tensor/parallel.h"

namespace qkv::flash {
namespace {

// Source rows per block of a head transpose: a block of 64 rows stays in L1 while it is read D
// times.
constexpr int64_t kTransposeBlockRows = 64;

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

// ---- the transposes ---------------------------------------------------------------------------

// Head (b, h) of x (B, H, T, D) transposed into dst (D, T), contiguous.
template <class T>
void transpose_head(const Operand<T>& x, int64_t b, int64_t h, int64_t T_len, int64_t D, T* dst) {
  for (int64_t j0 = 0; j0 < T_len; j0 += kTransposeBlockRows) {
    const int64_t n = std::min(kTransposeBlockRows, T_len - j0);
    const T* src = x.rows(b, h, j0);
    for (int64_t d = 0; d < D; ++d) {
      T* row = dst + d * T_len + j0;
      for (int64_t j = 0; j < n; ++j) row[j] = src[j * x.ld + d];
    }
  }
}

// x (B, H, T, D) → xᵀ (B, H, D, T), contiguous, one head per task; `view` is set to its operand.
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

// Head (b, h)'s xᵀ (D, T) transposed into `buffer`; the returned operand points at the buffer
// for every head (only (b, h) is ever read through it). Used when one task owns a whole head,
// so the transposes need no pass of their own over all heads.
template <class T>
Operand<T> own_transposed(const Operand<T>& x, int64_t b, int64_t h, int64_t T_len, int64_t D, std::vector<T>& buffer) {
  buffer.resize(static_cast<size_t>(std::max<int64_t>(D * T_len, 1)));
  transpose_head(x, b, h, T_len, D, buffer.data());
  return {buffer.data(), 0, 0, std::max<int64_t>(T_len, 1)};
}

}  // namespace

// ---- forward ----------------------------------------------------------------------------------

template <class T>
void run_forward(Kernel<T> kern, const Tensor& out, const Tensor& lse) {
  const Operand<T> o = operand<T>(out);
  T* L = lse.data<T>();
  const int64_t heads = kern.B * kern.H, blocks = kern.query_blocks();
  if (blocks == 1) {
    // One task per head (short sequences): each transposes its own head's K, unless there is
    // one query row (a decoding step), whose scores are dot products with K's rows as they are.
    run_tasks<T>(heads, kern.br, kern.bc, [&](int64_t bh, Scratch<T>& sc) {
      const int64_t b = bh / kern.H, h = bh % kern.H;
      Kernel<T> own = kern;
      if (kern.Tq > 1) own.kt = own_transposed(kern.k, b, h, kern.Tk, kern.Dh, sc.kt);
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

// ---- backward ---------------------------------------------------------------------------------

template <class T>
void run_backward(Kernel<T> kern, const Tensor& out, const Tensor& dout, const Tensor& lse, const Tensor& dq,
                  const Tensor& dk, const Tensor& dv) {
  const int64_t B = kern.B, H = kern.H, Tq = kern.Tq, Dv = kern.Dv;
  const int64_t heads = B * H;
  const Operand<T> o = operand<T>(out), d_out = operand<T>(dout);
  const Operand<T> gq = operand<T>(dq), gk = operand<T>(dk), gv = operand<T>(dv);
  const T* L = lse.data<T>();
  // D = rowsum(dO ∘ O)   (B, H, Tq)
  std::vector<T> delta(static_cast<size_t>(heads * Tq));
  parallel_for(heads * Tq, grain::kAttentionDeltaRows, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const int64_t bh = n / Tq, i = n % Tq;
      delta[static_cast<size_t>(n)] = lane_dot(Dv, o.rows(bh / H, bh % H, i), d_out.rows(bh / H, bh % H, i));
    }
  });
  const int64_t qblocks = kern.query_blocks(), kblocks = kern.key_blocks();
  auto tile = [&](const Kernel<T>& kn, int64_t bh, int64_t qb, int64_t jb, bool with_dq, bool with_dkv,
                  Scratch<T>& sc) {
    kn.backward_tile(bh / H, bh % H, qb, jb, d_out, L + bh * Tq, delta.data() + bh * Tq, with_dq ? &gq : nullptr,
                     with_dkv ? &gk : nullptr, with_dkv ? &gv : nullptr, sc);
  };
  if (heads >= grain::kAttentionWholeHeadsPerThread * num_threads() || num_threads() == 1 ||
      (qblocks == 1 && kblocks == 1)) {
    // One task per head: dQ, dK and dV of the head are the task's own, and so are the
    // transposed K and V it reads.
    run_tasks<T>(heads, kern.br, kern.bc, [&](int64_t bh, Scratch<T>& sc) {
      Kernel<T> own = kern;
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

template void run_forward<float>(Kernel<float>, const Tensor&, const Tensor&);
template void run_forward<double>(Kernel<double>, const Tensor&, const Tensor&);
template void run_backward<float>(Kernel<float>, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                  const Tensor&, const Tensor&);
template void run_backward<double>(Kernel<double>, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                   const Tensor&, const Tensor&);

}  // namespace qkv::flash
