// gru.h — GRUCell (one step) and GRU (a stack of layers over whole sequences), with torch's
// parameter names, shapes, gate order (r, z, n) and initialisation.
//
//   GRU gru({.input_size = 16, .hidden_size = 32, .num_layers = 2, .bidirectional = true});
//   gru.reset_parameters(gen);
//   auto [out, h_n] = gru.forward(x, {}, lengths);   // x (B, T, 16) -> out (B, T, 64), h_n (4, B, 32)
//
// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)): b_hn sits inside the reset gate, as in torch.
#pragma once

#include "nn/rnn/recurrent_cell.h"
#include "nn/rnn/recurrent_stack.h"
#include "nn/rnn/rnn_config.h"

namespace qkv {

class GRUCell : public RecurrentCell {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, Dtype dtype = Dtype::float32);
  // x (B, I), h (B, Hd) or undefined (zeros) -> h' (B, Hd).
  Tensor forward(const Tensor& x, const Tensor& h = {});
};

class GRU : public RecurrentStack {
 public:
  explicit GRU(const RnnConfig& config);

  struct Output {
    Tensor output;  // (B, T, dirs·Hd): the last layer's h at every step, zero at padded steps
    Tensor h_n;     // (L·dirs, B, Hd): each layer and direction's final h
  };
  // x (B, T, I); h0 (L·dirs, B, Hd) or undefined (zeros); lengths (B) int64 or undefined (all T).
  Output forward(const Tensor& x, const Tensor& h0 = {}, const Tensor& lengths = {});

 protected:
  std::vector<Tensor> step(const Tensor& gi, const std::vector<Tensor>& state, const Tensor& w_hh_t,
                           const Weights& w) const override;
};

}  // namespace qkv
