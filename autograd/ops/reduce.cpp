// reduce.cpp — forward and backward of the differentiable reductions and softmaxes.
#include "autograd/ops/reduce.h"

#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/index.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// The reduced axes of a tensor of rank `rank`, normalised; all of them when `axes` is empty.
Axes reduced_axes(std::string_view op, const Axes& axes, int64_t rank) {
  Axes out;
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) out.push_back(i);
  } else {
    for (int64_t a : axes) out.push_back(normalize_axis(op, a, rank));
  }
  return out;
}

// The shape of a keepdim=true result: x's shape with the reduced axes set to 1.
Shape kept_shape(const Shape& x_shape, const Axes& axes) {
  Shape shape = x_shape;
  for (int64_t a : axes) shape[a] = 1;
  return shape;
}

// dy (of a reduction with or without keepdim) broadcast back to the input's shape, as a view.
Tensor unreduce(const Tensor& dy, const Shape& x_shape, const Axes& axes) {
  return raw::expand(raw::reshape(dy, kept_shape(x_shape, axes)), x_shape);
}

int64_t count_of(const Shape& x_shape, const Axes& axes) {
  int64_t n = 1;
  for (int64_t a : axes) n *= x_shape[a];
  return n;
}

// max/min along one axis: the gradient goes to the selected element (the first one on ties,
// like torch.max(dim)), so it is scattered to the index of the extremum.
Tensor extremum(OpName op, const Tensor& x, int64_t axis, bool keepdim, bool is_max) {
  const int64_t a = normalize_axis(op, axis, x.dim());
  const Tensor index = raw::argmax(is_max ? x : raw::neg(x), a, /*keepdim=*/true);
  Tensor kept = raw::gather(x, a, index);
  Tensor y = keepdim ? kept : raw::squeeze(kept, a);
  if (needs_grad(x)) {
    record(op, y, {x}, [index, shape = x.shape(), a](const Tensor& dy) -> Grads {
      return {raw::scatter_add(shape, a, index, raw::reshape(dy, index.shape()))};
    });
  }
  return y;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  Tensor y = raw::sum(x, axes, keepdim);
  if (needs_grad(x)) {
    record("sum", y, {x}, [shape = x.shape(), ax = reduced_axes("sum", axes, x.dim())](const Tensor& dy) -> Grads {
      return {unreduce(dy, shape, ax)};
    });
  }
  return y;
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  Tensor y = raw::mean(x, axes, keepdim);
  if (needs_grad(x)) {
    const Axes ax = reduced_axes("mean", axes, x.dim());
    const double scale = 1.0 / static_cast<double>(count_of(x.shape(), ax));
    record("mean", y, {x}, [shape = x.shape(), ax, scale](const Tensor& dy) -> Grads {
      return {unreduce(raw::mul(dy, scale), shape, ax)};
    });
  }
  return y;
}

Tensor max(const Tensor& x, int64_t axis, bool keepdim) { return extremum("max", x, axis, keepdim, true); }
Tensor min(const Tensor& x, int64_t axis, bool keepdim) { return extremum("min", x, axis, keepdim, false); }

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  Tensor y = raw::logsumexp(x, axes, keepdim);
  if (needs_grad(x)) {
    record("logsumexp", y, {x},
           [sx = save("logsumexp", x), sy = save("logsumexp", y),
            ax = reduced_axes("logsumexp", axes, x.dim())](const Tensor& dy) -> Grads {
             const Tensor& in = sx.get();
             const Tensor softmax = raw::exp(raw::sub(in, unreduce(sy.get(), in.shape(), ax)));
             return {raw::mul(unreduce(dy, in.shape(), ax), softmax)};
           });
  }
  return y;
}

Tensor var(const Tensor& x, const Axes& axes, int64_t correction, bool keepdim) {
  Tensor y = raw::var(x, axes, correction, keepdim);
  if (needs_grad(x)) {
    const Axes ax = reduced_axes("var", axes, x.dim());
    const double scale = 2.0 / static_cast<double>(count_of(x.shape(), ax) - correction);
    record("var", y, {x}, [sx = save("var", x), ax, scale](const Tensor& dy) -> Grads {
      const Tensor& in = sx.get();
      const Tensor centered = raw::sub(in, raw::mean(in, ax, /*keepdim=*/true));
      return {raw::mul(raw::mul(unreduce(dy, in.shape(), ax), centered), scale)};
    });
  }
  return y;
}

Tensor softmax(const Tensor& x, int64_t axis) {
  Tensor y = raw::softmax(x, axis);
  if (needs_grad(x)) {
    record("softmax", y, {x}, [sy = save("softmax", y), axis](const Tensor& dy) -> Grads {
      const Tensor& p = sy.get();
      const Tensor dot = raw::sum(raw::mul(dy, p), {axis}, /*keepdim=*/true);
      return {raw::mul(p, raw::sub(dy, dot))};
    });
  }
  return y;
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  Tensor y = raw::log_softmax(x, axis);
  if (needs_grad(x)) {
    record("log_softmax", y, {x}, [sy = save("log_softmax", y), axis](const Tensor& dy) -> Grads {
      const Tensor total = raw::sum(dy, {axis}, /*keepdim=*/true);
      return {raw::sub(dy, raw::mul(raw::exp(sy.get()), total))};
    });
  }
  return y;
}

}  // namespace qkv
