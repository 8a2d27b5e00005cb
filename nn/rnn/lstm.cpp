// lstm.cpp — LSTMCell and LSTM: the LSTM step (steps.h) in a cell and in a stack of layers.
#include "nn/rnn/lstm.h"

#include "autograd/ops/elementwise.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/views.h"
#include "nn/rnn/steps.h"

namespace qkv {

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias, Dtype dtype)
    : RecurrentCell(input_size, hidden_size, bias, dtype, 4, "LSTMCell") {}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& x, const Tensor& h, const Tensor& c) {
  Tensor gi = project(x);  // (B, 4Hd) = x·W_ihᵀ + b_ih
  if (bias_hh().defined()) gi = gi + bias_hh();
  const int64_t batch = x.size(0);
  return lstm_step(gi, state_or_zeros(h, batch, "h"), state_or_zeros(c, batch, "c"), transpose(weight_hh(), 0, 1));
}

LSTM::LSTM(const RnnConfig& config) : RecurrentStack(config, 4, "LSTM") {}

LSTM::Output LSTM::forward(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& lengths) {
  Result r = run(x, {h0, c0}, lengths);
  return {std::move(r.output), std::move(r.finals[0]), std::move(r.finals[1])};
}

Tensor LSTM::project(const Tensor& x, const Weights& w) const {
  // (B, T, 4Hd), one product over B·T rows
  return linear(x, w.w_ih, w.b_ih.defined() ? w.b_ih + w.b_hh : Tensor());
}

std::vector<Tensor> LSTM::step(const Tensor& gi, const std::vector<Tensor>& state, const Tensor& w_hh_t,
                               const Weights& w) const {
  auto [h, c] = lstm_step(gi, state[0], state[1], w_hh_t);
  return {std::move(h), std::move(c)};
}

}  // namespace qkv
