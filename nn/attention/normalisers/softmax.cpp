// softmax.cpp — the softmax normaliser: masked scores become -inf, so they get weight 0, and
// a row with every key masked becomes all zeros (raw softmax's rule), with zero gradient.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "nn/attention/variant.h"
#include "tensor/elementwise.h"

namespace qkv {
namespace {

Tensor softmax_normaliser(const Tensor& scores, const Tensor& allowed) {
  if (!allowed.defined()) return softmax(scores, -1);
  return softmax(masked_fill(scores, raw::logical_not(allowed), -INFINITY), -1);
}

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_softmax_normaliser() {
  register_normaliser("softmax", "exp(s) / Σ exp(s) over the allowed keys", softmax_normaliser);
}

}  // namespace qkv
