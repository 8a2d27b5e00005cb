// gaussian.cpp — Nadaraya–Watson kernel regression as attention: a Gaussian kernel on the
// distance between query and key,
//     s = -‖q - k‖²·w²/2 = -(‖q‖² - 2q·k + ‖k‖²)·w²/2,
// so softmax(s) gives the weights K(q - kᵢ)/Σⱼ K(q - kⱼ) with K(u) = exp(-w²‖u‖²/2).
// The expanded form uses one matmul instead of a (B, H, Tq, Tk, Dh) difference tensor:
//     ‖q‖² (B, H, Tq, 1) - 2 q·kᵀ (B, H, Tq, Tk) + ‖k‖²ᵀ (B, H, 1, Tk).
// (Rounding can leave that sum a hair below 0 when q ≈ k; harmless, so it is not clamped.)
// Parameter "width" (H): the learnable w of each head, initialised to option "width" (default 1).
// ‖q‖² is constant across keys, so softmax ignores it; it is kept so that s is the formula
// (other normalisers, e.g. sigmoid, see it).
#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"
#include "nn/init.h"

namespace qkv {
namespace {

class GaussianAttention : public ScoredAttention {
 public:
  explicit GaussianAttention(const AttentionConfig& c)
      : ScoredAttention(c), initial_width_(c.option("width", 1.0)), width_(make_parameter({c.num_heads}, c.dtype)) {}

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const int64_t heads = config_.num_heads;
    check(q.size(1) == heads, "gaussian attention: built for {} heads, got q {}", heads, q.shape());
    const Tensor q_sq = sum(q * q, {-1}, /*keepdim=*/true);                          // (B, H, Tq, 1)
    const Tensor k_sq = transpose(sum(k * k, {-1}, /*keepdim=*/true), -1, -2);       // (B, H, 1, Tk)
    const Tensor distance_sq = q_sq - 2.0 * matmul(q, transpose(k, -1, -2)) + k_sq;  // (B, H, Tq, Tk)
    const Tensor half_w_sq = reshape(width_ * width_, {1, heads, 1, 1}) * -0.5;
    return distance_sq * half_w_sq;
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("width", width_);
  }

 protected:
  void reset_own_parameters(Generator&) override { init_constant_(width_, initial_width_); }

 private:
  double initial_width_;
  Tensor width_;  // (H)
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_gaussian_attention() {
  register_attention("gaussian", "-‖q - k‖²·w²/2, Nadaraya–Watson's Gaussian kernel; learnable w",
                     [](const AttentionConfig& c) { return std::make_unique<GaussianAttention>(c); },
                     {{.key = "width", .fallback = 1, .help = "initial w of every head"}});
}

}  // namespace qkv
