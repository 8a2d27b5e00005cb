// embedding.h — Embedding: a table of `num` vectors of width `dim`, looked up by integer id.
#pragma once

#include "nn/module.h"

namespace qkv {

class Embedding : public Module {
 public:
  // Ids equal to padding_idx (if >= 0) map to a zero vector that is never trained.
  Embedding(int64_t num, int64_t dim, int64_t padding_idx = -1, Dtype dtype = Dtype::float32);

  // ids: int64 of any shape (...) -> (..., dim)
  Tensor forward(const Tensor& ids);
  Tensor operator()(const Tensor& ids) { return forward(ids); }
  void visit(ModuleVisitor& v) override { v.parameter("weight", weight_); }

  Tensor& weight() { return weight_; }  // (num, dim)
  int64_t padding_idx() const { return padding_idx_; }

 protected:
  // PyTorch's default: N(0, 1), with the padding row zeroed.
  void reset_own_parameters(Generator& gen) override;

 private:
  int64_t num_;
  int64_t padding_idx_;
  Tensor weight_;
};

}  // namespace qkv
