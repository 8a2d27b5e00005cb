// embedding.cpp — Embedding's table, initialisation and lookup.
#include "nn/embedding.h"

#include "autograd/ops/index.h"
#include "nn/init.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

namespace qkv {

Embedding::Embedding(int64_t num, int64_t dim, int64_t padding_idx, Dtype dtype)
    : num_(num), padding_idx_(padding_idx) {
  check(num > 0 && dim > 0, "Embedding: num and dim must be positive, got {} and {}", num, dim);
  check(padding_idx >= -1 && padding_idx < num, "Embedding: padding_idx {} is outside [0, {})", padding_idx, num);
  weight_ = make_parameter({num, dim}, dtype);
}

void Embedding::reset_own_parameters(Generator& gen) {
  init_normal_(weight_, gen);
  if (padding_idx_ >= 0) raw::fill_(raw::select(weight_, 0, padding_idx_), 0.0);
}

Tensor Embedding::forward(const Tensor& ids) { return embedding(weight_, ids, padding_idx_); }

}  // namespace qkv
