// format.h — printing tensors like PyTorch: values, then shape and dtype; large tensors are
// abbreviated with "..." keeping three items at each edge.
//
//   fmt::print("{}\n", t);   // tensor([[0.0000, 1.0000], [2.0000, 3.0000]], shape=[2, 2], dtype=float32)
#pragma once

#include <string>

#include <fmt/format.h>

#include "tensor/tensor.h"

namespace qkv {
std::string to_string(const Tensor& t);
}  // namespace qkv

template <>
struct fmt::formatter<qkv::Tensor> : fmt::formatter<std::string_view> {
  auto format(const qkv::Tensor& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(qkv::to_string(t), ctx);
  }
};
