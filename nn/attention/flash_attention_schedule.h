// flash_attention_schedule.h — runs the fused attention's tiles (flash_attention_tiles.h) over
// all heads on qkv's threads. See flash_attention_schedule.cpp for how the work is split; the
// chapter's reading order is in flash_attention.h.
#pragma once

#include "nn/attention/flash_attention_tiles.h"
#include "tensor/tensor.h"

namespace qkv::flash {

// Forward: out (B, H, Tq, Dv) and lse (B, H, Tq). The kernel's q, k, v are BLAS-ready; its kt
// is filled in here.
template <class T>
void run_forward(Kernel<T> kernel, const Tensor& out, const Tensor& lse);

// Backward: accumulates into dq, dk, dv (zero-filled, BLAS-ready layout) from dout; out and lse
// (B, H, Tq) come from the forward. The kernel's kt and vt are filled in here.
template <class T>
void run_backward(Kernel<T> kernel, const Tensor& out, const Tensor& dout, const Tensor& lse, const Tensor& dq,
                  const Tensor& dk, const Tensor& dv);

}  // namespace qkv::flash
