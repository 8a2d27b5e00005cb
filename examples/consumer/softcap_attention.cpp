// softcap_attention.cpp — an attention variant defined outside qkv, in a program's own file:
// scaled dot-product scores squashed into (-cap, cap) before the softmax,
//     s = cap · tanh(q·kᵀ / (√Dh · cap)),
// the "soft-capping" some large models use to keep attention logits from growing without
// bound. Option "cap" (default 5). It registers from a file-scope constant: this file is linked
// into the program directly, so the constant is initialised before main runs.
#include <cmath>

#include "qkv.h"

namespace {

using namespace qkv;

class SoftcapAttention : public ScoredAttention {
 public:
  explicit SoftcapAttention(const AttentionConfig& c) : ScoredAttention(c), cap_(c.option("cap", 5.0)) {}

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / (std::sqrt(static_cast<double>(q.size(-1))) * cap_);
    return tanh(matmul(q, transpose(k, -1, -2)) * scale) * cap_;  // (B, H, Tq, Tk)
  }

 private:
  double cap_;
};

const bool registered =
    register_attention("softcap", "cap·tanh(q·kᵀ/(√Dh·cap)), scores soft-capped to (-cap, cap); option cap (default 5)",
                       [](const AttentionConfig& c) { return std::make_unique<SoftcapAttention>(c); });

}  // namespace
