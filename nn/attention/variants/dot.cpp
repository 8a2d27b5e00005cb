// dot.cpp — plain dot-product scores, s = q·kᵀ (Luong's "dot"; no scaling).
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class DotAttention : public ScoredAttention {
 public:
  using ScoredAttention::ScoredAttention;
  Tensor scores(const Tensor& q, const Tensor& k) override {
    return matmul(q, transpose(k, -1, -2));  // (B, H, Tq, Tk)
  }
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_dot_attention() {
  register_attention("dot", "q·kᵀ, unscaled",
                     [](const AttentionConfig& c) { return std::make_unique<DotAttention>(c); });
}

}  // namespace qkv
