// scaled_dot.cpp — the Transformer's scoring rule, qkv's default: s = q·kᵀ/√Dh.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"

namespace qkv {
namespace {

class ScaledDotAttention : public ScoredAttention {
 public:
  using ScoredAttention::ScoredAttention;
  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
  }
};

const bool registered = register_attention("scaled_dot", "q·kᵀ/√Dh (the Transformer's; the default)",
                                           [](const AttentionConfig& c) { return std::make_unique<ScaledDotAttention>(c); });

}  // namespace
}  // namespace qkv
