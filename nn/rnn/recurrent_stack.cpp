// recurrent_stack.cpp — parameters, init and the layer/direction/time loop of GRU and LSTM.
#include "nn/rnn/recurrent_stack.h"

#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/views.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/rnn/unbind_steps.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Per time step t, a (B, 1) bool mask of the sequences with t >= length (their state must not
// change); empty when there are no lengths or every sequence fills all T steps.
std::vector<Tensor> padding_masks(const std::string& op, const Tensor& lengths, int64_t batch, int64_t steps) {
  if (!lengths.defined()) return {};
  check(lengths.dtype() == Dtype::int64 && lengths.dim() == 1 && lengths.size(0) == batch,
        "{}: lengths must be int64 of shape [{}] (one per sequence), got {} {}", op, batch, lengths.dtype(),
        lengths.shape());
  bool full = true;
  for (int64_t length : to_vector<int64_t>(lengths)) {
    check(length >= 0 && length <= steps, "{}: length {} is outside [0, T = {}]", op, length, steps);
    full = full && length == steps;
  }
  if (full) return {};
  const Tensor positions = raw::reshape(arange(steps, Dtype::int64), {1, steps});                // (1, T)
  const Tensor padded = raw::ge(positions, raw::reshape(raw::contiguous(lengths), {batch, 1}));  // (B, T)
  std::vector<Tensor> masks;
  for (int64_t t = 0; t < steps; ++t) masks.push_back(raw::contiguous(raw::narrow(padded, 1, t, 1)));  // (B, 1)
  return masks;
}

}  // namespace

RecurrentStack::RecurrentStack(const RnnConfig& config, int64_t gates, std::string name)
    : config_(config), gates_(gates), name_(std::move(name)) {
  const RnnConfig& c = config_;
  check(c.input_size > 0 && c.hidden_size > 0 && c.num_layers > 0,
        "{}: input_size, hidden_size and num_layers must be positive, got {}, {}, {}", name_, c.input_size,
        c.hidden_size, c.num_layers);
  check(c.dropout >= 0 && c.dropout <= 1, "{}: dropout {} is outside [0, 1]", name_, c.dropout);
  check(c.dtype == Dtype::float32 || c.dtype == Dtype::float64, "{}: dtype must be float32 or float64, got {}", name_,
        c.dtype);
  const int64_t rows = gates_ * c.hidden_size;  // G·Hd
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    const int64_t in = layer == 0 ? c.input_size : directions() * c.hidden_size;
    for (int64_t dir = 0; dir < directions(); ++dir) {
      Weights w;
      w.w_ih = make_parameter({rows, in}, c.dtype);
      w.w_hh = make_parameter({rows, c.hidden_size}, c.dtype);
      if (c.bias) {
        w.b_ih = make_parameter({rows}, c.dtype);
        w.b_hh = make_parameter({rows}, c.dtype);
      }
      weights_.push_back(std::move(w));
    }
  }
}

RecurrentStack::Weights& RecurrentStack::at(int64_t layer, bool reverse) {
  check(layer >= 0 && layer < config_.num_layers, "{}: layer {} out of range [0, {})", name_, layer,
        config_.num_layers);
  check(!reverse || config_.bidirectional, "{}: no reverse direction in a unidirectional layer", name_);
  return weights_[static_cast<size_t>(layer * directions() + (reverse ? 1 : 0))];
}

void RecurrentStack::visit(ModuleVisitor& v) {
  for (int64_t layer = 0; layer < config_.num_layers; ++layer) {
    for (int64_t dir = 0; dir < directions(); ++dir) {
      Weights& w = weights_[static_cast<size_t>(layer * directions() + dir)];
      const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
      v.parameter("weight_ih" + suffix, w.w_ih);
      v.parameter("weight_hh" + suffix, w.w_hh);
      if (w.b_ih.defined()) v.parameter("bias_ih" + suffix, w.b_ih);
      if (w.b_hh.defined()) v.parameter("bias_hh" + suffix, w.b_hh);
    }
  }
  v.generator("rng", rng_);
}

void RecurrentStack::reset_own_parameters(Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(config_.hidden_size));
  for (Weights& w : weights_) {
    for (const Tensor* p : {&w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh}) {
      if (p->defined()) init_uniform_(*p, gen, -bound, bound);
    }
  }
  rng_ = Generator(gen.next_u64());
}

Tensor RecurrentStack::project(const Tensor& x, const Weights& w) const {
  return linear(x, w.w_ih, w.b_ih);  // (B, T, G·Hd), one product over B·T rows
}

RecurrentStack::Result RecurrentStack::run(const Tensor& x, const std::vector<Tensor>& initial, const Tensor& lengths) {
  const RnnConfig& c = config_;
  check(x.defined() && x.dim() == 3 && x.size(2) == c.input_size && x.size(1) > 0,
        "{}: expected input (B, T, {}) with T >= 1, got {}", name_, c.input_size,
        x.defined() ? fmt::format("{}", x.shape()) : std::string("an undefined tensor"));
  check(x.dtype() == c.dtype, "{}: input is {} but the weights are {}", name_, x.dtype(), c.dtype);
  const int64_t batch = x.size(0), steps = x.size(1), dirs = directions(), hd = c.hidden_size;
  const Shape state_shape{c.num_layers * dirs, batch, hd};
  for (const Tensor& s : initial) {
    check(!s.defined() || (s.shape() == state_shape && s.dtype() == c.dtype),
          "{}: initial state must be {} {} (num_layers·directions, B, hidden_size), got {} {}", name_, state_shape,
          c.dtype, s.shape(), s.dtype());
  }
  const std::vector<Tensor> padded = padding_masks(name_, lengths, batch, steps);  // T × (B, 1)

  Tensor input = x;  // (B, T, in)
  std::vector<std::vector<Tensor>> finals(initial.size());
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    if (layer > 0) input = dropout(input, c.dropout, training(), rng_);
    std::vector<Tensor> outputs;  // per direction, (B, T, Hd)
    for (int64_t dir = 0; dir < dirs; ++dir) {
      const int64_t index = layer * dirs + dir;
      const Weights& w = weights_[static_cast<size_t>(index)];
      const std::vector<Tensor> gi = unbind_steps(project(input, w), 1);  // T × (B, G·Hd)
      const Tensor w_hh_t = transpose(w.w_hh, 0, 1);                      // (Hd, G·Hd)
      std::vector<Tensor> state;                                          // each (B, Hd)
      for (const Tensor& s : initial) state.push_back(s.defined() ? select(s, 0, index) : zeros({batch, hd}, c.dtype));
      std::vector<Tensor> out(static_cast<size_t>(steps));
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = dir == 0 ? s : steps - 1 - s;
        std::vector<Tensor> next = step(gi[static_cast<size_t>(t)], state, w_hh_t, w);
        if (padded.empty()) {
          out[static_cast<size_t>(t)] = next[0];
        } else {
          const Tensor& pad = padded[static_cast<size_t>(t)];  // (B, 1): keep the old state
          for (size_t k = 0; k < next.size(); ++k) next[k] = where(pad, state[k], next[k]);
          out[static_cast<size_t>(t)] = masked_fill(next[0], pad, 0.0);
        }
        state = std::move(next);
      }
      outputs.push_back(stack(out, 1));  // (B, T, Hd)
      for (size_t k = 0; k < state.size(); ++k) finals[k].push_back(state[k]);
    }
    input = dirs == 1 ? outputs[0] : concat(outputs, 2);  // (B, T, dirs·Hd)
  }
  Result result{input, {}};
  for (const std::vector<Tensor>& f : finals) result.finals.push_back(stack(f, 0));  // (L·dirs, B, Hd)
  return result;
}

}  // namespace qkv
