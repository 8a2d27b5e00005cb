// conv.cpp — convolutional self-attention (Li et al. 2019, "Enhancing the Locality ... of
// Transformer on Time Series Forecasting"): before scaled dot-product scoring, every key (and,
// with option "queries" = 1, every query) is replaced by a learnable depthwise 1-D convolution
// over time of its neighbours, so a key is matched by its local shape, not its value alone:
//
//   k̃_j = Σ_m w[h, m] ⊙ k_{j + m - L}   (per head h, per channel; zeros beyond the sequence)
//   s = q̃·k̃ᵀ/√Dh;  weights = normalise(s, mask);  out = weights·v   (values are not convolved)
//
// q (B, H, Tq, Dh), k (B, H, Tk, Dh), v (B, H, Tk, Dv) → out (B, H, Tq, Dv), weights (B, H, Tq, Tk);
// kernels key_kernel (and query_kernel) of shape (H, K, Dh), K = option "kernel" (default 3).
//
// Tap m reads offset m - L. Under a causal mask the convolution is causal, L = K - 1 (left
// padding only, offsets -(K-1)..0), so no future key leaks into a visible one; otherwise it is
// centred, L = (K - 1)/2. So the kernel's taps mean different offsets in the two settings: use
// one module either causally or not. Padded keys (key_padding) are zeroed before convolving,
// so their values cannot leak into their neighbours' features. What it does not do: inspect an
// arbitrary `allowed` mask — there a non-causal convolution mixes a masked key into its
// allowed neighbours' features (only the structural causal flag makes it causal). Kernels are
// initialised like torch's Conv1d with groups = channels: U(-1/√K, 1/√K).
//
// Multi-scale keys: a Transformer gives each layer a kernel size of its own with a per-layer list,
// `--self-attention conv --self-attention-options kernel=3,5,7` (layer i: the i-th size;
// models/attention_options.h), so one layer matches short shapes and the next longer ones. The
// variant itself sees one size; the list is resolved when each layer builds its attention.
#include <cmath>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "nn/attention/variant.h"
#include "nn/init.h"
#include "tensor/factories.h"
#include "tensor/views.h"

namespace qkv {
namespace {

// Depthwise convolution over time of x (B, H, T, D) with kernel (H, K, D), left zero padding
// `left` and right padding K - 1 - left: shifted copies of x weighted and summed.
Tensor depthwise_conv_time(const Tensor& x, const Tensor& kernel, int64_t left) {
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3), K = kernel.size(1);
  const int64_t right = K - 1 - left;
  std::vector<Tensor> parts;
  if (left > 0) parts.push_back(zeros({B, H, left, D}, x.dtype()));
  parts.push_back(x);
  if (right > 0) parts.push_back(zeros({B, H, right, D}, x.dtype()));
  const Tensor padded = parts.size() == 1 ? x : concat(parts, 2);  // (B, H, T + K - 1, D)
  Tensor out;
  for (int64_t m = 0; m < K; ++m) {
    const Tensor tap = reshape(narrow(kernel, 1, m, 1), {1, H, 1, D});
    const Tensor term = narrow(padded, 2, m, T) * tap;  // x_{j + m - left}, zero outside
    out = out.defined() ? out + term : term;
  }
  return out;
}

class ConvAttention : public ScoredAttention {
 public:
  explicit ConvAttention(const AttentionConfig& config)
      : ScoredAttention(config), kernel_size_(static_cast<int64_t>(config.option("kernel", 3))) {
    check(kernel_size_ >= 1, "conv attention: option \"kernel\" must be >= 1, got {}", config.option("kernel", 3));
    key_kernel_ = make_parameter({config.num_heads, kernel_size_, config.head_dim}, config.dtype);
    if (config.option("queries", 0) != 0) {
      query_kernel_ = make_parameter({config.num_heads, kernel_size_, config.head_dim}, config.dtype);
    }
  }

  void visit(ModuleVisitor& v) override {
    ScoredAttention::visit(v);
    v.parameter("key_kernel", key_kernel_);
    if (query_kernel_.defined()) v.parameter("query_kernel", query_kernel_);
  }

  Tensor scores(const Tensor& q, const Tensor& k) override {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    return matmul(q, transpose(k, -1, -2)) * scale;  // (B, H, Tq, Tk)
  }

  AttentionResult forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                          bool need_weights) override {
    const int64_t H = key_kernel_.size(0), D = key_kernel_.size(2);
    check(q.dim() == 4 && k.dim() == 4 && q.size(1) == H && k.size(1) == H && q.size(3) == D && k.size(3) == D,
          "conv attention: need q (B, {}, Tq, {}) and k (B, {}, Tk, {}) for its kernels, got {} and {}", H, D, H, D,
          q.shape(), k.shape());
    mask.validate("conv attention", q.size(0), H, q.size(2), k.size(2));
    const int64_t left = mask.is_causal() ? kernel_size_ - 1 : (kernel_size_ - 1) / 2;
    Tensor keys = k;
    if (mask.key_is_pad().defined()) {
      keys = masked_fill(keys, raw::reshape(mask.key_is_pad(), {k.size(0), 1, k.size(2), 1}), 0.0);
    }
    keys = depthwise_conv_time(keys, key_kernel_, left);
    const Tensor queries = query_kernel_.defined() ? depthwise_conv_time(q, query_kernel_, left) : q;
    return ScoredAttention::forward(queries, keys, v, mask, need_weights);
  }
  // Nothing is prepared: the convolution of the keys depends on the mask (padding, causal).
  AttentionResult forward_prepared(const Tensor& q, const Tensor& keys, const Tensor& v, const AttentionMask& mask,
                                   bool need_weights) override {
    return forward(q, keys, v, mask, need_weights);
  }

 protected:
  void reset_own_parameters(Generator& gen) override {
    const double bound = 1.0 / std::sqrt(static_cast<double>(kernel_size_));
    init_uniform_(key_kernel_, gen, -bound, bound);
    if (query_kernel_.defined()) init_uniform_(query_kernel_, gen, -bound, bound);
  }

 private:
  int64_t kernel_size_;
  Tensor key_kernel_;    // (H, K, Dh)
  Tensor query_kernel_;  // (H, K, Dh), or undefined
};

}  // namespace

// The registry calls this before its first lookup (nn/attention/builtin.cpp).
void register_conv_attention() {
  register_attention(
      "conv", "scaled dot-product on keys (and optionally queries) convolved over time",
      [](const AttentionConfig& c) { return std::make_unique<ConvAttention>(c); },
      {{.key = "kernel", .fallback = 3, .low = 1, .whole = true, .help = "taps of the convolution over time"},
       {.key = "queries", .fallback = 0, .low = 0, .high = 1, .whole = true, .help = "1 convolves the queries too"}});
}

}  // namespace qkv
