// sigmoid.cpp — the sigmoid normaliser: each weight is σ(score) on its own (rows need not sum
// to 1); masked keys get weight 0.
#include "autograd/ops/elementwise.h"
#include "nn/attention/variant.h"
#include "tensor/elementwise.h"

namespace qkv {
namespace {

Tensor sigmoid_normaliser(const Tensor& scores, const Tensor& allowed) {
  const Tensor w = sigmoid(scores);
  return allowed.defined() ? masked_fill(w, raw::logical_not(allowed), 0.0) : w;
}

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_sigmoid_normaliser() {
  register_normaliser("sigmoid", "σ(s) per key, independently; masked keys 0", sigmoid_normaliser);
}

}  // namespace qkv
