// elementwise.cpp — forward and backward of every differentiable elementwise op, side by side.
// Backward functions run under NoGradGuard and use raw ops; `dy` is the output's gradient.
#include "autograd/ops/elementwise.h"

#include "autograd/record.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {

// ---- binary -----------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = raw::add(a, b);
  if (needs_grad(a, b)) {
    record("add", y, {a, b}, [](const Tensor& dy) -> Grads { return {dy, dy}; });
  }
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = raw::sub(a, b);
  if (needs_grad(a, b)) {
    record("sub", y, {a, b}, [](const Tensor& dy) -> Grads { return {dy, raw::neg(dy)}; });
  }
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = raw::mul(a, b);
  if (needs_grad(a, b)) {
    // Save each factor only if the other one needs its gradient.
    const bool need_a = a.requires_grad();
    const bool need_b = b.requires_grad();
    record("mul", y, {a, b},
           [sa = save("mul", need_b ? a : Tensor()), sb = save("mul", need_a ? b : Tensor()), need_a,
            need_b](const Tensor& dy) -> Grads {
             return {need_a ? raw::mul(dy, sb.get()) : Tensor(), need_b ? raw::mul(dy, sa.get()) : Tensor()};
           });
  }
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = raw::div(a, b);
  if (needs_grad(a, b)) {
    const bool need_b = b.requires_grad();
    record("div", y, {a, b},
           [sb = save("div", b), sy = save("div", need_b ? y : Tensor()), need_b](const Tensor& dy) -> Grads {
             const Tensor da = raw::div(dy, sb.get());
             return {da, need_b ? raw::neg(raw::mul(da, sy.get())) : Tensor()};  // db = -(dy/b)·(a/b)
           });
  }
  return y;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor y = raw::pow(a, b);
  if (needs_grad(a, b)) {
    record(
        "pow", y, {a, b}, [sa = save("pow", a), sb = save("pow", b), sy = save("pow", y)](const Tensor& dy) -> Grads {
          const Tensor& base = sa.get();
          const Tensor& exponent = sb.get();
          const Tensor da = raw::mul(dy, raw::mul(exponent, raw::pow(base, raw::sub(exponent, ones_like(exponent)))));
          const Tensor db = raw::mul(dy, raw::mul(sy.get(), raw::log(base)));
          return {da, db};
        });
  }
  return y;
}

// maximum / minimum: the gradient goes to the selected input; on ties each gets half (as torch).
namespace {
Grads select_grad(const Tensor& dy, const Tensor& a_selected, const Tensor& tie) {
  const Tensor half = raw::mul(dy, 0.5);
  const Tensor zero = zeros({}, dy.dtype());
  const Tensor da = raw::where(tie, half, raw::where(a_selected, dy, zero));
  const Tensor db = raw::where(tie, half, raw::where(a_selected, zero, dy));
  return {da, db};
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor y = raw::maximum(a, b);
  if (needs_grad(a, b)) {
    record("maximum", y, {a, b}, [sa = save("maximum", a), sb = save("maximum", b)](const Tensor& dy) -> Grads {
      return select_grad(dy, raw::gt(sa.get(), sb.get()), raw::eq(sa.get(), sb.get()));
    });
  }
  return y;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor y = raw::minimum(a, b);
  if (needs_grad(a, b)) {
    record("minimum", y, {a, b}, [sa = save("minimum", a), sb = save("minimum", b)](const Tensor& dy) -> Grads {
      return select_grad(dy, raw::lt(sa.get(), sb.get()), raw::eq(sa.get(), sb.get()));
    });
  }
  return y;
}

Tensor add(const Tensor& a, double b) {
  Tensor y = raw::add(a, b);
  if (needs_grad(a)) record("add_scalar", y, {a}, [](const Tensor& dy) -> Grads { return {dy}; });
  return y;
}

Tensor mul(const Tensor& a, double b) {
  Tensor y = raw::mul(a, b);
  if (needs_grad(a)) record("mul_scalar", y, {a}, [b](const Tensor& dy) -> Grads { return {raw::mul(dy, b)}; });
  return y;
}

Tensor pow(const Tensor& x, double exponent) {
  Tensor y = raw::pow(x, exponent);
  if (needs_grad(x)) {
    record("pow_scalar", y, {x}, [sx = save("pow_scalar", x), exponent](const Tensor& dy) -> Grads {
      return {raw::mul(dy, raw::mul(raw::pow(sx.get(), exponent - 1), exponent))};
    });
  }
  return y;
}

// ---- unary ------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  Tensor y = raw::neg(x);
  if (needs_grad(x)) record("neg", y, {x}, [](const Tensor& dy) -> Grads { return {raw::neg(dy)}; });
  return y;
}

Tensor exp(const Tensor& x) {
  Tensor y = raw::exp(x);
  if (needs_grad(x)) {
    record("exp", y, {x}, [sy = save("exp", y)](const Tensor& dy) -> Grads { return {raw::mul(dy, sy.get())}; });
  }
  return y;
}

Tensor log(const Tensor& x) {
  Tensor y = raw::log(x);
  if (needs_grad(x)) {
    record("log", y, {x}, [sx = save("log", x)](const Tensor& dy) -> Grads { return {raw::div(dy, sx.get())}; });
  }
  return y;
}

Tensor sqrt(const Tensor& x) {
  Tensor y = raw::sqrt(x);
  if (needs_grad(x)) {
    record("sqrt", y, {x},
           [sy = save("sqrt", y)](const Tensor& dy) -> Grads { return {raw::div(raw::mul(dy, 0.5), sy.get())}; });
  }
  return y;
}

Tensor abs(const Tensor& x) {
  Tensor y = raw::abs(x);
  if (needs_grad(x)) {
    record("abs", y, {x},
           [sx = save("abs", x)](const Tensor& dy) -> Grads { return {raw::mul(dy, raw::sign(sx.get()))}; });
  }
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = raw::tanh(x);
  if (needs_grad(x)) {
    record("tanh", y, {x},
           [sy = save("tanh", y)](const Tensor& dy) -> Grads { return {raw::tanh_backward(dy, sy.get())}; });
  }
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = raw::sigmoid(x);
  if (needs_grad(x)) {
    record("sigmoid", y, {x},
           [sy = save("sigmoid", y)](const Tensor& dy) -> Grads { return {raw::sigmoid_backward(dy, sy.get())}; });
  }
  return y;
}

Tensor relu(const Tensor& x) {
  Tensor y = raw::relu(x);
  if (needs_grad(x)) {
    record("relu", y, {x},
           [sy = save("relu", y)](const Tensor& dy) -> Grads { return {raw::relu_backward(dy, sy.get())}; });
  }
  return y;
}

Tensor gelu(const Tensor& x) {
  Tensor y = raw::gelu(x);
  if (needs_grad(x)) {
    record("gelu", y, {x},
           [sx = save("gelu", x)](const Tensor& dy) -> Grads { return {raw::gelu_backward(dy, sx.get())}; });
  }
  return y;
}

// ---- selection and copies ---------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor y = raw::where(cond, a, b);
  if (needs_grad(a, b)) {
    record("where", y, {a, b}, [sc = save("where", cond)](const Tensor& dy) -> Grads {
      const Tensor zero = zeros({}, dy.dtype());
      return {raw::where(sc.get(), dy, zero), raw::where(sc.get(), zero, dy)};
    });
  }
  return y;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  Tensor y = raw::masked_fill(x, mask, value);
  if (needs_grad(x)) {
    record("masked_fill", y, {x}, [sm = save("masked_fill", mask)](const Tensor& dy) -> Grads {
      return {raw::masked_fill(dy, sm.get(), 0.0)};
    });
  }
  return y;
}

Tensor clone(const Tensor& x) {
  Tensor y = x.clone();
  if (needs_grad(x)) record("clone", y, {x}, [](const Tensor& dy) -> Grads { return {dy}; });
  return y;
}

Tensor to_dtype(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = raw::to_dtype(x, dtype);
  if (needs_grad(x) && is_floating(dtype)) {
    const Dtype from = x.dtype();
    record("to_dtype", y, {x}, [from](const Tensor& dy) -> Grads { return {raw::to_dtype(dy, from)}; });
  }
  return y;
}

// straight_through: y = hard;  d soft = dy (hard gets none)
Tensor straight_through(const Tensor& hard, const Tensor& soft) {
  Tensor y = raw::contiguous(hard.detach()).clone();
  if (needs_grad(soft)) record("straight_through", y, {soft}, [](const Tensor& dy) -> Grads { return {dy}; });
  return y;
}

}  // namespace qkv
