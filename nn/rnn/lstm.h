// lstm.h — LSTMCell (one step) and LSTM (a stack of layers over whole sequences), with torch's
// parameter names, shapes, gate order (i, f, g, o) and initialisation.
//
//   LSTM lstm({.input_size = 16, .hidden_size = 32, .num_layers = 2});
//   lstm.reset_parameters(gen);
//   auto [out, h_n, c_n] = lstm.forward(x, {}, {}, lengths);  // out (B, T, 32), h_n and c_n (2, B, 32)
//
// Both biases only ever appear summed (gates = W_ih x + b_ih + W_hh h + b_hh), so the layer adds
// b_ih + b_hh once to the input projection of all steps.
#pragma once

#include <utility>

#include "nn/rnn/recurrent_cell.h"
#include "nn/rnn/recurrent_stack.h"
#include "nn/rnn/rnn_config.h"

namespace qkv {

class LSTMCell : public RecurrentCell {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, Dtype dtype = Dtype::float32);
  // x (B, I); h, c (B, Hd) or undefined (zeros) -> (h', c'), each (B, Hd).
  std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& h = {}, const Tensor& c = {});
};

class LSTM : public RecurrentStack {
 public:
  explicit LSTM(const RnnConfig& config);

  struct Output {
    Tensor output;  // (B, T, dirs·Hd): the last layer's h at every step, zero at padded steps
    Tensor h_n;     // (L·dirs, B, Hd): each layer and direction's final h
    Tensor c_n;     // (L·dirs, B, Hd): each layer and direction's final cell state
  };
  // x (B, T, I); h0, c0 (L·dirs, B, Hd) or undefined (zeros); lengths (B) int64 or undefined.
  Output forward(const Tensor& x, const Tensor& h0 = {}, const Tensor& c0 = {}, const Tensor& lengths = {});

 protected:
  Tensor project(const Tensor& x, const Weights& w) const override;
  std::vector<Tensor> step(const Tensor& gi, const std::vector<Tensor>& state, const Tensor& w_hh_t,
                           const Weights& w) const override;
};

}  // namespace qkv
