// sparsemax.cpp — the sparsemax normaliser (Martins & Astudillo, 2016): each score row is
// projected onto the probability simplex,
//
//     p = argmin_{p ≥ 0, Σp = 1} ‖p - z‖²  =  max(z - τ(z), 0),
//
// with the threshold τ found by sorting (the paper's Algorithm 1): z sorted descending as
// z₍₁₎ ≥ z₍₂₎ ≥ …, the support size is k = max{k : 1 + k·z₍ₖ₎ > Σ_{j≤k} z₍ⱼ₎} and
// τ = (Σ_{j≤k} z₍ⱼ₎ - 1)/k. Unlike softmax it gives exact zeros to low-scoring keys.
//
// Scores (B, H, Tq, Tk) → weights (B, H, Tq, Tk), along the last axis. A masked key is left out
// of the projection (as if its score were -inf) and gets weight 0; a row with every key masked
// becomes all zeros, with zero gradient. A NaN or +inf score makes its row's weights NaN.
//
// Backward: on the support S = {i : pᵢ > 0} the Jacobian is I - 1·1ᵀ/|S|, so
//     dzᵢ = dyᵢ - (Σ_{j∈S} dyⱼ)/|S|   for i ∈ S,     dzᵢ = 0   elsewhere.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "autograd/record.h"
#include "nn/attention/variant.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Forward over `rows` contiguous rows of length n. allowed is null when every key is allowed.
template <class T>
void sparsemax_rows(const T* z, const bool* allowed, T* p, int64_t first, int64_t last, int64_t n) {
  std::vector<double> sorted;
  sorted.reserve(static_cast<size_t>(n));
  for (int64_t r = first; r < last; ++r) {
    const T* zr = z + r * n;
    const bool* ar = allowed ? allowed + r * n : nullptr;
    T* pr = p + r * n;
    auto included = [&](int64_t i) { return (ar == nullptr || ar[i]) && zr[i] != -INFINITY; };
    sorted.clear();
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) {
      if (!included(i)) continue;
      sorted.push_back(static_cast<double>(zr[i]));
      finite = finite && std::isfinite(sorted.back());
    }
    std::fill(pr, pr + n, T(0));
    if (sorted.empty()) continue;  // fully masked row: all zeros
    // A NaN or +inf score: NaN weights for the row (and NaNs never reach std::sort).
    if (!finite) {
      for (int64_t i = 0; i < n; ++i) {
        if (included(i)) pr[i] = std::numeric_limits<T>::quiet_NaN();
      }
      continue;
    }
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    double cumulative = 0, support_sum = 0;
    int64_t support = 0;
    for (size_t j = 0; j < sorted.size(); ++j) {
      cumulative += sorted[j];
      if (1.0 + static_cast<double>(j + 1) * sorted[j] > cumulative) {
        support = static_cast<int64_t>(j + 1);
        support_sum = cumulative;
      }
    }
    const double tau = (support_sum - 1.0) / static_cast<double>(support);
    for (int64_t i = 0; i < n; ++i) {
      if (included(i)) pr[i] = static_cast<T>(std::max(static_cast<double>(zr[i]) - tau, 0.0));
    }
  }
}

// dz = dy - mean of dy over the support, on the support; 0 elsewhere (support: p > 0).
template <class T>
void sparsemax_backward_rows(const T* p, const T* dy, T* dz, int64_t first, int64_t last, int64_t n) {
  for (int64_t r = first; r < last; ++r) {
    const T* pr = p + r * n;
    const T* dyr = dy + r * n;
    T* dzr = dz + r * n;
    double total = 0;
    int64_t support = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (pr[i] > 0) {
        total += static_cast<double>(dyr[i]);
        ++support;
      }
    }
    const double mean = support > 0 ? total / static_cast<double>(support) : 0.0;
    for (int64_t i = 0; i < n; ++i) dzr[i] = pr[i] > 0 ? static_cast<T>(static_cast<double>(dyr[i]) - mean) : T(0);
  }
}

// Rows per parallel task: enough work per task to be worth a thread.
int64_t grain_for(int64_t n) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)); }

Tensor sparsemax_forward(const Tensor& scores, const Tensor& allowed) {
  check(scores.dim() >= 1, "sparsemax: expected scores with at least one dimension, got {}", scores.shape());
  check(scores.dtype() == Dtype::float32 || scores.dtype() == Dtype::float64,
        "sparsemax: scores must be float32 or float64, got {}", scores.dtype());
  check(!allowed.defined() || allowed.dtype() == Dtype::bool_, "sparsemax: the mask must be bool, got {}",
        allowed.defined() ? allowed.dtype() : Dtype::bool_);
  const Tensor z = raw::contiguous(scores);
  const Tensor a = allowed.defined() ? raw::contiguous(raw::expand(allowed, scores.shape())) : Tensor();
  Tensor p = Tensor::empty(scores.shape(), scores.dtype());
  const int64_t n = scores.size(-1);
  const int64_t rows = n == 0 ? 0 : scores.numel() / n;
  const bool* ap = a.defined() ? a.data<bool>() : nullptr;
  parallel_for(rows, grain_for(n), [&](int64_t first, int64_t last) {
    if (scores.dtype() == Dtype::float64) {
      sparsemax_rows(z.data<double>(), ap, p.data<double>(), first, last, n);
    } else {
      sparsemax_rows(z.data<float>(), ap, p.data<float>(), first, last, n);
    }
  });
  return p;
}

Tensor sparsemax_backward(const Tensor& p, const Tensor& dy_any) {
  const Tensor dy = raw::contiguous(raw::expand(dy_any, p.shape()));
  Tensor dz = Tensor::empty(p.shape(), p.dtype());
  const int64_t n = p.size(-1);
  const int64_t rows = n == 0 ? 0 : p.numel() / n;
  parallel_for(rows, grain_for(n), [&](int64_t first, int64_t last) {
    if (p.dtype() == Dtype::float64) {
      sparsemax_backward_rows(p.data<double>(), dy.data<double>(), dz.data<double>(), first, last, n);
    } else {
      sparsemax_backward_rows(p.data<float>(), dy.data<float>(), dz.data<float>(), first, last, n);
    }
  });
  return dz;
}

// The differentiable op: scores (..., Tk), allowed bool broadcastable to scores (or undefined).
Tensor sparsemax_normaliser(const Tensor& scores, const Tensor& allowed) {
  Tensor p = sparsemax_forward(scores, allowed);
  if (needs_grad(scores)) {
    record("sparsemax", p, {scores},
           [sp = save("sparsemax", p)](const Tensor& dy) -> Grads { return {sparsemax_backward(sp.get(), dy)}; });
  }
  return p;
}

const bool registered = register_normaliser(
    "sparsemax", "Euclidean projection of s onto the simplex (exact zeros); masked keys 0", sparsemax_normaliser);

}  // namespace
}  // namespace qkv
