// init.h — fills parameters in place with initial values (no gradient is recorded; the
// parameter keeps its storage, so optimizers holding it stay valid).
#pragma once

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace qkv {

void init_uniform_(const Tensor& param, Generator& gen, double low, double high);
void init_normal_(const Tensor& param, Generator& gen, double mean = 0, double std = 1);
void init_constant_(const Tensor& param, double value);
// Glorot/Xavier uniform for a (fan_out, fan_in) matrix: ±√(6 / (fan_in + fan_out)).
void init_xavier_uniform_(const Tensor& param, Generator& gen);

}  // namespace qkv
