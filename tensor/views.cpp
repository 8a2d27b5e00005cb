// views.cpp — views share storage and change only shape, strides and offset.
#include "tensor/views.h"

#include <algorithm>

#include "tensor/elementwise.h"
#include "tensor/iterate.h"

namespace qkv::raw {
namespace {

// Replaces a single -1 in `shape` by the size that makes numel match.
Shape infer_size(std::string_view op, const Shape& from, Shape shape) {
  int64_t known = 1;
  int64_t infer_at = -1;
  for (int64_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer_at < 0, "{}: only one dimension can be -1 in {}", op, shape);
      infer_at = i;
    } else {
      check(shape[i] >= 0, "{}: invalid size {} in {}", op, shape[i], shape);
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    check(known != 0 && from.numel() % known == 0, "{}: cannot infer -1 to view {} as {}", op, from, shape);
    shape[infer_at] = from.numel() / known;
  }
  check(shape.numel() == from.numel(), "{}: shape {} ({} elements) does not match {} ({} elements)", op, shape,
        shape.numel(), from, from.numel());
  return shape;
}

// Strides that view `t` as `shape` without copying, or false if none exist.
// Walks the old dimensions from the right in chunks that are contiguous among themselves;
// each chunk must be covered exactly by a run of new dimensions.
bool view_strides(const Tensor& t, const Shape& shape, Shape& strides) {
  strides = shape;
  if (t.dim() == 0 || t.numel() == 0) {
    strides = contiguous_strides(shape);
    return true;
  }
  const Shape& old_shape = t.shape();
  const Shape& old_strides = t.strides();
  int64_t view_d = shape.size() - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    const bool chunk_ends = d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return false;
    if (d > 0) {
      chunk_base_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor view(const Tensor& t, const Shape& shape) {
  const Shape target = infer_size("view", t.shape(), shape);
  Shape strides;
  check(view_strides(t, target, strides),
        "view: a tensor of shape {} and strides {} cannot be viewed as {} without copying (use reshape)", t.shape(),
        t.strides(), target);
  return t.as_strided(target, strides, t.offset());
}

Tensor reshape(const Tensor& t, const Shape& shape) {
  const Shape target = infer_size("reshape", t.shape(), shape);
  Shape strides;
  if (view_strides(t, target, strides)) return t.as_strided(target, strides, t.offset());
  Tensor c = t.clone();
  return c.as_strided(target, contiguous_strides(target), 0);
}

Tensor flatten(const Tensor& t) { return reshape(t, {t.numel()}); }

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  const int64_t a = normalize_axis("transpose", dim0, t.dim());
  const int64_t b = normalize_axis("transpose", dim1, t.dim());
  if (t.dim() == 0) return t;
  Shape shape = t.shape();
  Shape strides = t.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return t.as_strided(shape, strides, t.offset());
}

Tensor permute(const Tensor& t, const Shape& dims) {
  check(dims.size() == t.dim(), "permute: {} axes given for a tensor of rank {} (shape {})", dims.size(), t.dim(),
        t.shape());
  Shape shape;
  Shape strides;
  std::array<bool, kMaxDims> seen{};
  for (int64_t i = 0; i < dims.size(); ++i) {
    const int64_t d = normalize_axis("permute", dims[i], t.dim());
    check(!seen[static_cast<size_t>(d)], "permute: axis {} repeated in {}", d, dims);
    seen[static_cast<size_t>(d)] = true;
    shape.push_back(t.shape()[d]);
    strides.push_back(t.strides()[d]);
  }
  return t.as_strided(shape, strides, t.offset());
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  check(t.dim() > 0, "narrow: cannot narrow a rank-0 tensor");
  const int64_t d = normalize_axis("narrow", dim, t.dim());
  const int64_t size = t.shape()[d];
  check(start >= 0 && length >= 0 && start + length <= size,
        "narrow: range [{}, {}) is outside dimension {} of size {} (shape {})", start, start + length, d, size,
        t.shape());
  Shape shape = t.shape();
  shape[d] = length;
  return t.as_strided(shape, t.strides(), t.offset() + start * t.strides()[d]);
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  check(t.dim() > 0, "slice: cannot slice a rank-0 tensor");
  check(step > 0, "slice: step must be positive, got {}", step);
  const int64_t d = normalize_axis("slice", dim, t.dim());
  const int64_t size = t.shape()[d];
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size); };
  const int64_t lo = clamp(start);
  const int64_t hi = std::max(clamp(end), lo);
  Shape shape = t.shape();
  Shape strides = t.strides();
  shape[d] = (hi - lo + step - 1) / step;
  strides[d] *= step;
  return t.as_strided(shape, strides, t.offset() + lo * t.strides()[d]);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  check(t.dim() > 0, "select: cannot select from a rank-0 tensor");
  const int64_t d = normalize_axis("select", dim, t.dim());
  const int64_t size = t.shape()[d];
  check(index >= -size && index < size, "select: index {} is out of range for dimension {} of size {}", index, d, size);
  const int64_t i = index < 0 ? index + size : index;
  Shape shape = t.shape();
  Shape strides = t.strides();
  const int64_t offset = t.offset() + i * strides[d];
  shape.erase(d);
  strides.erase(d);
  return t.as_strided(shape, strides, offset);
}

Tensor squeeze(const Tensor& t, int64_t dim) {
  if (t.dim() == 0) return t;
  const int64_t d = normalize_axis("squeeze", dim, t.dim());
  if (t.shape()[d] != 1) return t;
  Shape shape = t.shape();
  Shape strides = t.strides();
  shape.erase(d);
  strides.erase(d);
  return t.as_strided(shape, strides, t.offset());
}

Tensor squeeze(const Tensor& t) {
  Shape shape;
  Shape strides;
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (t.shape()[i] == 1) continue;
    shape.push_back(t.shape()[i]);
    strides.push_back(t.strides()[i]);
  }
  return t.as_strided(shape, strides, t.offset());
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  const int64_t d = normalize_axis("unsqueeze", dim, t.dim() + 1);
  Shape shape = t.shape();
  Shape strides = t.strides();
  const int64_t stride = d < t.dim() ? t.strides()[d] * t.shape()[d] : 1;
  shape.insert(d, 1);
  strides.insert(d, stride);
  return t.as_strided(shape, strides, t.offset());
}

Tensor expand(const Tensor& t, const Shape& shape) {
  check(shape.size() >= t.dim(), "expand: cannot expand shape {} to fewer dimensions {}", t.shape(), shape);
  const int64_t lead = shape.size() - t.dim();
  Shape out_shape = shape;
  Shape strides = shape;
  for (int64_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      check(shape[i] >= 0, "expand: new leading size {} must be non-negative in {}", shape[i], shape);
      strides[i] = 0;
      continue;
    }
    const int64_t have = t.shape()[i - lead];
    const int64_t want = shape[i] == -1 ? have : shape[i];
    check(have == want || have == 1, "expand: cannot expand {} to {} (dimension {}: {} to {})", t.shape(), shape, i,
          have, want);
    out_shape[i] = want;
    strides[i] = have == want ? t.strides()[i - lead] : 0;
  }
  return t.as_strided(out_shape, strides, t.offset());
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : t.clone(); }

}  // namespace qkv::raw

namespace qkv {

Shape broadcast_strides(const Tensor& t, const Shape& target) { return raw::expand(t, target).strides(); }

}  // namespace qkv
