// shape.cpp — Shape storage, broadcasting and axis checks.
#include "tensor/shape.h"

#include <algorithm>

#include "tensor/error.h"

namespace qkv {

Shape::Shape(std::initializer_list<int64_t> sizes) : Shape(std::span<const int64_t>(sizes.begin(), sizes.size())) {}

Shape::Shape(std::span<const int64_t> sizes) {
  check(sizes.size() <= kMaxDims, "Shape: rank {} exceeds the maximum of {} dimensions", sizes.size(), kMaxDims);
  std::copy(sizes.begin(), sizes.end(), dims_.begin());
  rank_ = static_cast<int64_t>(sizes.size());
}

void Shape::push_back(int64_t d) {
  check(rank_ < kMaxDims, "Shape: rank would exceed the maximum of {} dimensions", kMaxDims);
  dims_[static_cast<size_t>(rank_++)] = d;
}

void Shape::insert(int64_t pos, int64_t d) {
  check(rank_ < kMaxDims, "Shape: rank would exceed the maximum of {} dimensions", kMaxDims);
  for (int64_t i = rank_; i > pos; --i) dims_[static_cast<size_t>(i)] = dims_[static_cast<size_t>(i - 1)];
  dims_[static_cast<size_t>(pos)] = d;
  ++rank_;
}

void Shape::erase(int64_t pos) {
  for (int64_t i = pos; i + 1 < rank_; ++i) dims_[static_cast<size_t>(i)] = dims_[static_cast<size_t>(i + 1)];
  --rank_;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : *this) n *= d;
  return n;
}

bool operator==(const Shape& a, const Shape& b) {
  return a.rank_ == b.rank_ && std::equal(a.begin(), a.end(), b.begin());
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  int64_t running = 1;
  for (int64_t i = shape.size() - 1; i >= 0; --i) {
    strides[i] = running;
    running *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  const int64_t rank = std::max(a.size(), b.size());
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t ia = i - (rank - a.size());
    const int64_t ib = i - (rank - b.size());
    const int64_t da = ia >= 0 ? a[ia] : 1;
    const int64_t db = ib >= 0 ? b[ib] : 1;
    check(da == db || da == 1 || db == 1, "{}: shapes {} and {} cannot be broadcast (dimension {}: {} vs {})", op, a, b,
          i, da, db);
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

int64_t normalize_axis(std::string_view op, int64_t axis, int64_t rank) {
  const int64_t lo = rank == 0 ? -1 : -rank;
  const int64_t hi = rank == 0 ? 0 : rank - 1;
  check(axis >= lo && axis <= hi, "{}: axis {} is out of range for a tensor of rank {} (valid: {} to {})", op, axis,
        rank, lo, hi);
  return axis < 0 ? axis + std::max<int64_t>(rank, 1) : axis;
}

}  // namespace qkv

auto fmt::formatter<qkv::Shape>::format(const qkv::Shape& s, fmt::format_context& ctx) const -> decltype(ctx.out()) {
  auto out = ctx.out();
  *out++ = '[';
  for (int64_t i = 0; i < s.size(); ++i) {
    if (i > 0) out = fmt::format_to(out, ", ");
    out = fmt::format_to(out, "{}", s[i]);
  }
  *out++ = ']';
  return out;
}
