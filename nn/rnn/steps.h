// steps.h — the gate arithmetic of one time step of a GRU and of an LSTM, shared by the cells
// (GRUCell, LSTMCell) and the layers (GRU, LSTM), which compute the input projection
// gi = x·W_ihᵀ (+ biases) beforehand — for a layer, for all time steps in one product.
//
// Gate order and formulas are torch's:
//   GRU   r = σ(gi_r + W_hr h + b_hr)          LSTM  i = σ(g_i), f = σ(g_f), g = tanh(g_g), o = σ(g_o)
//         z = σ(gi_z + W_hz h + b_hz)                with (g_i, g_f, g_g, g_o) = gi + W_hh h
//         n = tanh(gi_n + r ⊙ (W_hn h + b_hn))       c' = f ⊙ c + i ⊙ g
//         h' = (1 - z) ⊙ n + z ⊙ h                   h' = o ⊙ tanh(c')
// Composed of differentiable ops, so their backward is the ops'.
#pragma once

#include <utility>

#include "tensor/tensor.h"

namespace qkv {

// gi (B, 3Hd) = x·W_ihᵀ + b_ih; h (B, Hd); w_hh_t = W_hhᵀ (Hd, 3Hd); b_hh (3Hd) or undefined.
// Returns h' (B, Hd).
Tensor gru_step(const Tensor& gi, const Tensor& h, const Tensor& w_hh_t, const Tensor& b_hh);

// gi (B, 4Hd) = x·W_ihᵀ + b_ih + b_hh; h, c (B, Hd); w_hh_t = W_hhᵀ (Hd, 4Hd).
// Returns (h', c'), each (B, Hd).
std::pair<Tensor, Tensor> lstm_step(const Tensor& gi, const Tensor& h, const Tensor& c, const Tensor& w_hh_t);

}  // namespace qkv
