// positional_encoding.cpp — fills the sinusoidal table (see positional_encoding.h).
#include "models/positional_encoding.h"

#include <cmath>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/factories.h"

namespace qkv::models {

Tensor sinusoidal_table(int64_t max_positions, int64_t d_model, Dtype dtype) {
  check(max_positions > 0 && d_model > 0, "sinusoidal_table: max_positions {} and d_model {} must be positive",
        max_positions, d_model);
  std::vector<double> values(static_cast<size_t>(max_positions * d_model));
  for (int64_t pos = 0; pos < max_positions; ++pos) {
    for (int64_t j = 0; j < d_model; ++j) {
      const int64_t pair = j - j % 2;  // 2i
      const double angle =
          static_cast<double>(pos) / std::pow(10000.0, static_cast<double>(pair) / static_cast<double>(d_model));
      values[static_cast<size_t>(pos * d_model + j)] = j % 2 == 0 ? std::sin(angle) : std::cos(angle);
    }
  }
  const Tensor table = from_vector(values, {max_positions, d_model});
  return dtype == Dtype::float64 ? table : raw::to_dtype(table, dtype);
}

}  // namespace qkv::models
