// recurrent_cell.cpp — the parameters, init and input checks shared by GRUCell and LSTMCell.
#include "nn/rnn/recurrent_cell.h"

#include <cmath>

#include "autograd/ops/linear.h"
#include "nn/init.h"
#include "tensor/factories.h"

namespace qkv {

RecurrentCell::RecurrentCell(int64_t input_size, int64_t hidden_size, bool bias, Dtype dtype, int64_t gates,
                             std::string name)
    : input_size_(input_size), hidden_size_(hidden_size), name_(std::move(name)) {
  check(input_size > 0 && hidden_size > 0, "{}: input_size and hidden_size must be positive, got {} and {}", name_,
        input_size, hidden_size);
  check(dtype == Dtype::float32 || dtype == Dtype::float64, "{}: dtype must be float32 or float64, got {}", name_,
        dtype);
  w_ih_ = make_parameter({gates * hidden_size, input_size}, dtype);
  w_hh_ = make_parameter({gates * hidden_size, hidden_size}, dtype);
  if (bias) {
    b_ih_ = make_parameter({gates * hidden_size}, dtype);
    b_hh_ = make_parameter({gates * hidden_size}, dtype);
  }
}

void RecurrentCell::visit(ModuleVisitor& v) {
  v.parameter("weight_ih", w_ih_);
  v.parameter("weight_hh", w_hh_);
  if (b_ih_.defined()) v.parameter("bias_ih", b_ih_);
  if (b_hh_.defined()) v.parameter("bias_hh", b_hh_);
}

void RecurrentCell::reset_own_parameters(Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (const Tensor* p : {&w_ih_, &w_hh_, &b_ih_, &b_hh_}) {
    if (p->defined()) init_uniform_(*p, gen, -bound, bound);
  }
}

Tensor RecurrentCell::project(const Tensor& x) const {
  check(x.defined() && x.dim() == 2 && x.size(1) == input_size_, "{}: expected input (B, {}), got {}", name_,
        input_size_, x.defined() ? fmt::format("{}", x.shape()) : std::string("an undefined tensor"));
  check(x.dtype() == w_ih_.dtype(), "{}: input is {} but the weights are {}", name_, x.dtype(), w_ih_.dtype());
  return linear(x, w_ih_, b_ih_);  // (B, G·Hd)
}

Tensor RecurrentCell::state_or_zeros(const Tensor& s, int64_t batch, const char* what) const {
  if (!s.defined()) return zeros({batch, hidden_size_}, w_ih_.dtype());
  check(s.shape() == Shape{batch, hidden_size_} && s.dtype() == w_ih_.dtype(), "{}: {} must be {} {}, got {} {}", name_,
        what, Shape{batch, hidden_size_}, w_ih_.dtype(), s.shape(), s.dtype());
  return s;
}

}  // namespace qkv
