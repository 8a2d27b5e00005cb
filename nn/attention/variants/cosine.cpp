// cosine.cpp — cosine-similarity attention with a learnable temperature:
//     s = cos(q, k)/τ = (q̂·k̂) · exp(log_scale),   q̂ = q/√(‖q‖² + ε²),  k̂ likewise,
// so 1/τ = exp(log_scale) stays positive. Parameter "log_scale" (H): one temperature per head.
// Shapes: q (B, H, Tq, Dh), k (B, H, Tk, Dh) → s (B, H, Tq, Tk).
//
// Initial scale: option "scale", default √Dh. Cosines of random Dh-dimensional vectors have
// standard deviation about 1/√Dh, so √Dh·cos starts with the unit spread of scaled_dot's
// q·k/√Dh (≈ 8 for Dh = 64, close to the common fixed choice of 10). ε = option "eps" (default
// 1e-8) keeps a zero vector finite: its q̂ is 0, so its scores are 0 and its gradients finite.
// The unit keys k̂ are prepare_keys: a recurrent decoder normalises them once per sentence.
// The class (cosine.h) also serves `pearson` (pearson.cpp), which centres q and k first.
#include "nn/attention/variants/cosine.h"

#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "nn/init.h"

namespace qkv {

CosineAttention::CosineAttention(const AttentionConfig& c, std::string name, bool centred)
    : ScoredAttention(c),
      name_(std::move(name)),
      centred_(centred),
      initial_scale_(c.option("scale", std::sqrt(static_cast<double>(c.head_dim)))),
      eps_(c.option("eps", 1e-8)),
      log_scale_(make_parameter({c.num_heads}, c.dtype)) {
  check(initial_scale_ > 0, "{} attention: option 'scale' must be positive, got {}", name_, initial_scale_);
  check(eps_ > 0, "{} attention: option 'eps' must be positive, got {}", name_, eps_);
}

Tensor CosineAttention::prepared_scores(const Tensor& q, const Tensor& unit_k) {
  const int64_t heads = config_.num_heads;
  check(q.size(1) == heads, "{} attention: built for {} heads, got q {}", name_, heads, q.shape());
  const Tensor cosines = matmul(unit(q), transpose(unit_k, -1, -2));  // (B, H, Tq, Tk)
  return cosines * reshape(exp(log_scale_), {1, heads, 1, 1});
}

void CosineAttention::visit(ModuleVisitor& v) {
  ScoredAttention::visit(v);
  v.parameter("log_scale", log_scale_);
}

void CosineAttention::reset_own_parameters(Generator&) { init_constant_(log_scale_, std::log(initial_scale_)); }

Tensor CosineAttention::unit(const Tensor& x_in) const {
  const Tensor x = centred_ ? x_in - mean(x_in, {-1}, /*keepdim=*/true) : x_in;
  return x / sqrt(sum(x * x, {-1}, /*keepdim=*/true) + eps_ * eps_);
}

std::vector<VariantOption> cosine_options() {
  return {{.key = "scale", .fallback_text = "√Dh", .low = 0, .low_open = true, .help = "1/τ at initialisation"},
          {.key = "eps", .fallback = 1e-8, .low = 0, .low_open = true, .help = "keeps a zero vector's score finite"}};
}

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_cosine_attention() {
  register_attention(
      "cosine", "cos(q, k)/τ, learnable τ per head",
      [](const AttentionConfig& c) { return std::make_unique<CosineAttention>(c, "cosine", /*centred=*/false); },
      cosine_options());
}

}  // namespace qkv
