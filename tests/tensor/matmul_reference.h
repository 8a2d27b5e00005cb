// matmul_reference.h — the tests' oracle for matrix products: a naive loop in double with the
// rounding scale of every element (the sum of |a·b| terms), and operands in every layout BLAS
// sees (contiguous, transposed, sliced, narrowed). Used by matmul_test (fp32, fp64) and
// bf16_matmul_test (bf16 products).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/factories.h"
#include "tensor/random.h"
#include "tensor/views.h"

namespace qkv::test {

// The expected product: values, and for each the sum of |a·b| terms (the scale of rounding).
struct Expected {
  Shape shape;
  std::vector<double> value;
  std::vector<double> scale;
};

inline Shape batch_of(const Tensor& t) {
  Shape s = t.shape();
  s.erase(s.size() - 1);
  s.erase(s.size() - 1);
  return s;
}

// torch.matmul semantics, written out with loops over broadcast (expanded) copies.
inline Expected naive_matmul(const Tensor& a, const Tensor& b) {
  const Tensor a2 = a.dim() == 1 ? raw::unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? raw::unsqueeze(b, 1) : b;
  const int64_t m = a2.size(-2);
  const int64_t k = a2.size(-1);
  const int64_t n = b2.size(-1);
  const Shape batch = broadcast_shapes("naive", batch_of(a2), batch_of(b2));
  Shape a_full = batch;
  a_full.push_back(m);
  a_full.push_back(k);
  Shape b_full = batch;
  b_full.push_back(k);
  b_full.push_back(n);
  const std::vector<double> av = to_vector<double>(raw::expand(a2, a_full));
  const std::vector<double> bv = to_vector<double>(raw::expand(b2, b_full));

  Expected e;
  e.shape = batch;
  if (a.dim() > 1) e.shape.push_back(m);
  if (b.dim() > 1) e.shape.push_back(n);
  for (int64_t p = 0; p < batch.numel(); ++p) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        double scale = 0;
        for (int64_t l = 0; l < k; ++l) {
          const double term =
              av[static_cast<size_t>((p * m + i) * k + l)] * bv[static_cast<size_t>((p * k + l) * n + j)];
          sum += term;
          scale += std::abs(term);
        }
        e.value.push_back(sum);
        e.scale.push_back(scale);
      }
    }
  }
  return e;
}

// Ways to lay out an operand whose last two dimensions are rows x cols.
enum class Layout { contiguous, transposed, rows_step2, cols_step2, narrowed, transposed_narrowed };
inline const Layout kLayouts[] = {Layout::contiguous, Layout::transposed, Layout::rows_step2,
                                  Layout::cols_step2, Layout::narrowed,   Layout::transposed_narrowed};

inline std::string layout_name(Layout l) {
  switch (l) {
    case Layout::contiguous: return "contiguous";
    case Layout::transposed: return "transposed";
    case Layout::rows_step2: return "rows_step2";
    case Layout::cols_step2: return "cols_step2";
    case Layout::narrowed: return "narrowed";
    case Layout::transposed_narrowed: return "transposed_narrowed";
  }
  return "?";
}

// A random tensor of `shape` (at least 2-D) viewed with the given layout.
inline Tensor make(const Shape& shape, Layout layout, Dtype dtype, Generator& gen) {
  const int64_t r = shape.size() - 2;
  Shape s = shape;
  switch (layout) {
    case Layout::contiguous: return randn(shape, gen, dtype);
    case Layout::transposed:  // column-major: goes to BLAS with CblasTrans
      std::swap(s[r], s[r + 1]);
      return raw::transpose(randn(s, gen, dtype), r, r + 1);
    case Layout::rows_step2:  // every other row: row stride 2·cols
      s[r] *= 2;
      return raw::slice(randn(s, gen, dtype), r, 0, s[r], 2);
    case Layout::cols_step2:  // every other column: column stride 2, must be copied
      s[r + 1] *= 2;
      return raw::slice(randn(s, gen, dtype), r + 1, 1, s[r + 1], 2);
    case Layout::narrowed:  // columns 1.. of a wider matrix: row stride > cols
      s[r + 1] += 3;
      return raw::narrow(randn(s, gen, dtype), r + 1, 1, shape[r + 1]);
    case Layout::transposed_narrowed:  // column-major with leading dimension > rows
      std::swap(s[r], s[r + 1]);
      s[r + 1] += 2;
      return raw::transpose(raw::narrow(randn(s, gen, dtype), r + 1, 2, shape[r]), r, r + 1);
  }
  return {};
}

// The largest |got - want| / scale over the elements of got = a @ b.
inline double worst_relative_error(const Tensor& got, const Expected& want) {
  const std::vector<double> g = to_vector<double>(got);
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    worst = std::max(worst, std::abs(g[i] - want.value[i]) / (want.scale[i] + 1e-300));
  }
  return worst;
}

}  // namespace qkv::test
