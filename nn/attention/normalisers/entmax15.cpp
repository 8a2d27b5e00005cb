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
#include <functional>
#include <limits>
#include <vector>

#include "autograd/record.h"
#include "nn/attention/variant.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {
namespace {

template <class T>
void entmax15_rows(const T* z, const bool* allowed, T* p, int64_t first, int64_t last, int64_t n) {
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
      sorted.push_back(static_cast<double>(zr[i]) / 2);
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
      if (!included(i)) continue;
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

int64_t grain_for(int64_t n) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)); }

Tensor entmax15_forward(const Tensor& scores, const Tensor& allowed) {
  check(scores.dim() >= 1, "entmax15: expected scores with at least one dimension, got {}", scores.shape());
  check(scores.dtype() == Dtype::float32 || scores.dtype() == Dtype::float64,
        "entmax15: scores must be float32 or float64, got {}", scores.dtype());
  check(!allowed.defined() || allowed.dtype() == Dtype::bool_, "entmax15: the mask must be bool, got {}",
        allowed.defined() ? allowed.dtype() : Dtype::bool_);
  const Tensor z = raw::contiguous(scores);
  const Tensor a = allowed.defined() ? raw::contiguous(raw::expand(allowed, scores.shape())) : Tensor();
  Tensor p = Tensor::empty(scores.shape(), scores.dtype());
  const int64_t n = scores.size(-1);
  const int64_t rows = n == 0 ? 0 : scores.numel() / n;
  const bool* ap = a.defined() ? a.data<bool>() : nullptr;
  parallel_for(rows, grain_for(n), [&](int64_t first, int64_t last) {
    if (scores.dtype() == Dtype::float64) {
      entmax15_rows(z.data<double>(), ap, p.data<double>(), first, last, n);
    } else {
      entmax15_rows(z.data<float>(), ap, p.data<float>(), first, last, n);
    }
  });
  return p;
}

Tensor entmax15_backward(const Tensor& p, const Tensor& dy_any) {
  const Tensor dy = raw::contiguous(raw::expand(dy_any, p.shape()));
  Tensor dz = Tensor::empty(p.shape(), p.dtype());
  const int64_t n = p.size(-1);
  const int64_t rows = n == 0 ? 0 : p.numel() / n;
  parallel_for(rows, grain_for(n), [&](int64_t first, int64_t last) {
    if (p.dtype() == Dtype::float64) {
      entmax15_backward_rows(p.data<double>(), dy.data<double>(), dz.data<double>(), first, last, n);
    } else {
      entmax15_backward_rows(p.data<float>(), dy.data<float>(), dz.data<float>(), first, last, n);
    }
  });
  return dz;
}

Tensor entmax15_normaliser(const Tensor& scores, const Tensor& allowed) {
  Tensor p = entmax15_forward(scores, allowed);
  if (needs_grad(scores)) {
    record("entmax15", p, {scores},
           [sp = save("entmax15", p)](const Tensor& dy) -> Grads { return {entmax15_backward(sp.get(), dy)}; });
  }
  return p;
}

const bool registered = register_normaliser(
    "entmax15", "1.5-entmax: max(s/2 - τ, 0)², sparse but smoother than sparsemax; masked keys 0", entmax15_normaliser);

}  // namespace
}  // namespace qkv
