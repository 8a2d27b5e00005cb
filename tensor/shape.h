// shape.h — Shape: the sizes (or strides) of a tensor, at most kMaxDims of them, stored inline.
//
// A small fixed-capacity vector keeps shape handling free of heap allocations, which matters
// for the per-op overhead of tiny tensors. Also: broadcasting rules and axis normalisation.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace qkv {

inline constexpr int kMaxDims = 8;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> sizes);
  explicit Shape(std::span<const int64_t> sizes);
  explicit Shape(const std::vector<int64_t>& sizes) : Shape(std::span<const int64_t>(sizes)) {}

  int64_t size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  int64_t& operator[](int64_t i) { return dims_[static_cast<size_t>(i)]; }
  int64_t operator[](int64_t i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t back() const { return dims_[static_cast<size_t>(rank_ - 1)]; }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }
  int64_t* begin() { return dims_.data(); }
  int64_t* end() { return dims_.data() + rank_; }

  void push_back(int64_t d);
  void insert(int64_t pos, int64_t d);
  void erase(int64_t pos);

  // Product of all sizes (1 for a rank-0 shape).
  int64_t numel() const;
  std::vector<int64_t> to_vector() const { return {begin(), end()}; }

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int64_t rank_ = 0;
};

// Row-major strides of a contiguous tensor of this shape, in elements.
Shape contiguous_strides(const Shape& shape);

// NumPy broadcasting: align from the right; sizes must be equal or 1.
// `op` names the caller in the error message.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);

// Maps a possibly negative axis into [0, rank); throws naming `op` if out of range.
int64_t normalize_axis(std::string_view op, int64_t axis, int64_t rank);

}  // namespace qkv

template <>
struct fmt::formatter<qkv::Shape> : fmt::formatter<std::string_view> {
  auto format(const qkv::Shape& s, fmt::format_context& ctx) const -> decltype(ctx.out());
};
