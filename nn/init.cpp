// init.cpp — in-place parameter initialisers.
#include "nn/init.h"

#include <cmath>

#include "tensor/elementwise.h"

namespace qkv {

void init_uniform_(const Tensor& param, Generator& gen, double low, double high) {
  raw::copy_(param, rand(param.shape(), gen, param.dtype(), low, high));
}

void init_normal_(const Tensor& param, Generator& gen, double mean, double std) {
  raw::copy_(param, randn(param.shape(), gen, param.dtype(), mean, std));
}

void init_constant_(const Tensor& param, double value) { raw::fill_(param, value); }

void init_xavier_uniform_(const Tensor& param, Generator& gen) {
  check(param.dim() == 2, "init_xavier_uniform_: needs a matrix, got shape {}", param.shape());
  const double bound = std::sqrt(6.0 / static_cast<double>(param.size(0) + param.size(1)));
  init_uniform_(param, gen, -bound, bound);
}

}  // namespace qkv
