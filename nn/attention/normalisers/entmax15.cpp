// entmax15.cpp — the 1.5-entmax normaliser (Peters, Niculae & Martins, 2019): between softmax
// (α = 1) and sparsemax (α = 2); sparse like sparsemax, smoother on its support.
//
//     p = max(z/2 - τ, 0)²   with τ such that Σ p = 1,
//
// found exactly by sorting: with u = z/2 sorted descending and, for each k, the mean μₖ and mean
// square mₖ of u₍₁₎…u₍ₖ₎, τₖ = μₖ - √(max(0, (1 - k(mₖ - μₖ²))/k)); the support size is the
// number of k with τₖ ≤ u₍ₖ₎, and τ = τ at that k.
//
// Scores (B, H, Tq, Tk) → weights (B, H, Tq, Tk), along the last axis. A masked key is left out
// (as if its score were -inf) and gets weight 0; a row with every key masked becomes all zeros,
// with zero gradient. A NaN or +inf score makes its row's weights NaN.
//
// Backward: with g = √p (= ∂p/∂(z/2 - τ) / 2 on the support, 0 off it),
//     dz = g·dy - g·(Σ g·dy)/(Σ g).
#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/attention/normalisers/sorted_rows.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

// Forward over rows [first, last) of length n. allowed is null when every key is allowed.
template <class T>
void entmax15_rows(const T* z, const bool* allowed, T* p, int64_t first, int64_t last, int64_t n) {
  std::vector<double> sorted;
  sorted.reserve(static_cast<size_t>(n));
  for (int64_t r = first; r < last; ++r) {
    const T* zr = z + r * n;
    const bool* ar = allowed ? allowed + r * n : nullptr;
    T* pr = p + r * n;
    if (!sorted_rows::sorted_included(zr, ar, pr, n, 0.5, sorted)) continue;  // sorted holds u = z/2
    const double top = sorted[0];  // shift by the maximum so the sums stay small
    double sum = 0, sum_sq = 0, tau = 0;
    for (size_t j = 0; j < sorted.size(); ++j) {
      const double u = sorted[j] - top;
      const double k = static_cast<double>(j + 1);
      sum += u;
      sum_sq += u * u;
      const double mean = sum / k;
      const double delta = (1.0 - k * (sum_sq / k - mean * mean)) / k;
      const double tau_k = mean - std::sqrt(std::max(delta, 0.0));
      if (tau_k <= u) tau = tau_k;  // the condition holds for a prefix of k; keep the last
    }
    for (int64_t i = 0; i < n; ++i) {
      if (!sorted_rows::included(zr, ar, i)) continue;
      const double d = std::max(static_cast<double>(zr[i]) / 2 - top - tau, 0.0);
      pr[i] = static_cast<T>(d * d);
    }
  }
}

template <class T>
void entmax15_backward_rows(const T* p, const T* dy, T* dz, int64_t first, int64_t last, int64_t n) {
  for (int64_t r = first; r < last; ++r) {
    const T* pr = p + r * n;
    const T* dyr = dy + r * n;
    T* dzr = dz + r * n;
    double g_sum = 0, g_dy = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double g = std::sqrt(static_cast<double>(pr[i]));
      g_sum += g;
      g_dy += g * static_cast<double>(dyr[i]);
    }
    const double q = g_sum > 0 ? g_dy / g_sum : 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double g = std::sqrt(static_cast<double>(pr[i]));
      dzr[i] = static_cast<T>(g * (static_cast<double>(dyr[i]) - q));
    }
  }
}

// The differentiable op: scores (..., Tk), allowed bool broadcastable to scores (or undefined).
Tensor entmax15_normaliser(const Tensor& scores, const Tensor& allowed) {
  return sorted_rows::rowwise_normaliser(
      "entmax15", scores, allowed, [](auto... args) { entmax15_rows(args...); },
      [](auto... args) { entmax15_backward_rows(args...); });
}

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_entmax15_normaliser() {
  register_normaliser("entmax15", "1.5-entmax: max(s/2 - τ, 0)², sparse but smoother than sparsemax; masked keys 0",
                      entmax15_normaliser);
}

}  // namespace qkv
