// rnn_config.h — the shape of a stack of recurrent layers (GRU, LSTM), as torch.nn.GRU/LSTM
// take it. Inputs are always batch first: (B, T, input_size).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace qkv {

struct RnnConfig {
  int64_t input_size = 0;
  int64_t hidden_size = 0;  // Hd
  int64_t num_layers = 1;   // L
  bool bidirectional = false;
  double dropout = 0.0;  // applied to each layer's output except the last, in training only
  bool bias = true;      // b_ih and b_hh in every layer and direction
  Dtype dtype = Dtype::float32;
};

}  // namespace qkv
