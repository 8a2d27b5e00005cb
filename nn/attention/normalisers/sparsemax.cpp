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
#include <vector>

#include "nn/attention/normalisers/sorted_rows.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

// Forward over rows [first, last) of length n. allowed is null when every key is allowed.
template <class T>
void sparsemax_rows(const T* z, const bool* allowed, T* p, int64_t first, int64_t last, int64_t n) {
  std::vector<double> sorted;
  sorted.reserve(static_cast<size_t>(n));
  for (int64_t r = first; r < last; ++r) {
    const T* zr = z + r * n;
    const bool* ar = allowed ? allowed + r * n : nullptr;
    T* pr = p + r * n;
    if (!sorted_rows::sorted_included(zr, ar, pr, n, 1.0, sorted)) continue;
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
      if (sorted_rows::included(zr, ar, i)) pr[i] = static_cast<T>(std::max(static_cast<double>(zr[i]) - tau, 0.0));
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

// The differentiable op: scores (..., Tk), allowed bool broadcastable to scores (or undefined).
Tensor sparsemax_normaliser(const Tensor& scores, const Tensor& allowed) {
  return sorted_rows::rowwise_normaliser(
      "sparsemax", scores, allowed, [](auto... args) { sparsemax_rows(args...); },
      [](auto... args) { sparsemax_backward_rows(args...); });
}

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_sparsemax_normaliser() {
  register_normaliser("sparsemax", "Euclidean projection of s onto the simplex (exact zeros); masked keys 0",
                      sparsemax_normaliser);
}

}  // namespace qkv
