// format.cpp — PyTorch-style printing of tensor values with summarisation of large tensors.
#include "tensor/format.h"

#include <cmath>

#include "tensor/factories.h"

namespace qkv {
namespace {

constexpr int64_t kSummariseAbove = 1000;  // elements
constexpr int64_t kEdgeItems = 3;

struct Printer {
  const Tensor& t;
  std::vector<double> values;  // row-major copy
  bool summarise;
  bool scientific = false;
  std::string out;

  void element(int64_t flat) {
    const double v = values[static_cast<size_t>(flat)];
    switch (t.dtype()) {
      case Dtype::bool_: out += v != 0 ? "true" : "false"; break;
      case Dtype::int64: out += fmt::format("{}", static_cast<int64_t>(v)); break;
      default: out += scientific ? fmt::format("{:.4e}", v) : fmt::format("{:.4f}", v);
    }
  }

  // Prints dimension d of the block starting at flat index `base`.
  void block(int64_t d, int64_t base, int64_t indent) {
    if (d == t.dim()) return element(base);
    const Shape strides = contiguous_strides(t.shape());
    const int64_t n = t.shape()[d];
    out += '[';
    for (int64_t i = 0; i < n; ++i) {
      if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) {
        out += d + 1 == t.dim() ? ", ..." : fmt::format(",\n{:{}}...", "", indent + 1);
        i = n - kEdgeItems - 1;
        continue;
      }
      if (i > 0) out += d + 1 == t.dim() ? ", " : fmt::format(",\n{:{}}", "", indent + 1);
      block(d + 1, base + i * strides[d], indent + 1);
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  Printer p{t, to_vector<double>(t), t.numel() > kSummariseAbove, false, ""};
  if (is_floating(t.dtype())) {
    for (double v : p.values) {
      const double a = std::fabs(v);
      if (std::isfinite(a) && a != 0 && (a >= 1e5 || a < 1e-4)) p.scientific = true;
    }
  }
  p.out = "tensor(";
  p.block(0, 0, 7);
  p.out += fmt::format(", shape={}, dtype={})", t.shape(), t.dtype());
  return p.out;
}

}  // namespace qkv
