// positional_encoding.h — the fixed sinusoidal position table of "Attention Is All You Need":
//
//   PE[pos, 2i]   = sin(pos / 10000^(2i / D))
//   PE[pos, 2i+1] = cos(pos / 10000^(2i / D))
//
// computed in double precision and stored in `dtype`. (Learned positions are an ordinary
// Embedding; both are sliced by position in transformer.cpp.)
#pragma once

#include "tensor/tensor.h"

namespace qkv::models {

// (max_positions, d_model); d_model may be odd (the last column is then a sine).
Tensor sinusoidal_table(int64_t max_positions, int64_t d_model, Dtype dtype = Dtype::float32);

}  // namespace qkv::models
