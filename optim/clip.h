// clip.h — clip_grad_norm_: rescales gradients so that their global L2 norm is at most max_norm.
//
//   double norm = clip_grad_norm_(model.parameters(), 1.0);   // before opt.step()
//
// As torch.nn.utils.clip_grad_norm_: the norm is taken over all gradients together,
// ‖g‖ = √(Σ_params Σ_elements g²); when it exceeds max_norm every gradient is multiplied by
// max_norm / (‖g‖ + 1e-6); the norm before clipping is returned. Parameters without a gradient
// are skipped; with no gradients at all the norm is 0.
//
// A non-finite norm (a NaN or Inf in some gradient) means training has diverged. By default
// (error_if_nonfinite = true) it throws qkv::Error naming the first parameter whose gradient is
// not finite, and leaves the gradients unchanged. With error_if_nonfinite = false it returns the
// non-finite norm and leaves the gradients unchanged, so the caller can skip the step (torch
// would instead multiply them by NaN).
//
// The sum is accumulated in double over fixed-size blocks, so the result does not depend on
// the number of threads.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace qkv {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, bool error_if_nonfinite = true);

// The global L2 norm of the gradients, without clipping.
double grad_norm(const std::vector<Tensor>& params);

}  // namespace qkv
