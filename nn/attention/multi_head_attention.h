// multi_head_attention.h — MultiHeadAttention: project, split into heads, attend, merge, project.
//
//   query (B, Tq, E), key (B, Tk, kdim), value (B, Tk, vdim)
//     q = q_proj(query) → (B, Tq, H, Dh) → (B, H, Tq, Dh)       Dh = E / H
//     k = k_proj(key)   → (B, H, Tk, Dh);  v = v_proj(value) → (B, H, Tk, Dh)
//     o = attention(q, k, v, mask)         → (B, H, Tq, Dh) → (B, Tq, E)
//     out = out_proj(o)                    → (B, Tq, E)
//
// Self-attention passes the same tensor three times; encoder–decoder (cross) attention passes
// the decoder states as query and the encoder states as key and value, whose length and width
// may differ. For self-attention with a variant that can take them (the default's fused path),
// the three projections run as one product x·[Wq; Wk; Wv]ᵀ → (B, T, 3E): same result, one
// product instead of three forward and backward. The scoring rule is any registered variant (variant.h), by name.
// Parameter names and initialisation follow torch.nn.MultiheadAttention with separate
// q/k/v projection weights (batch_first=True).
#pragma once

#include <memory>
#include <string>

#include "nn/attention/variant.h"
#include "nn/linear.h"

namespace qkv {

struct MultiHeadAttentionConfig {
  int64_t embed_dim = 0;   // E, the query width and the output width
  int64_t num_heads = 1;   // H; must divide E
  int64_t kdim = 0;        // key width (0: E)
  int64_t vdim = 0;        // value width (0: E)
  double dropout = 0.0;    // on the attention weights
  bool bias = true;
  std::string attention = "scaled_dot";   // a registered variant, optionally "+normaliser"
  std::map<std::string, double> options;  // the variant's knobs
  Dtype dtype = Dtype::float32;
};

class MultiHeadAttention : public Module {
 public:
  explicit MultiHeadAttention(const MultiHeadAttentionConfig& config);

  // out (B, Tq, E); weights (B, H, Tq, Tk) per head when need_weights, else undefined.
  AttentionResult forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionMask& mask = {}, bool need_weights = false);
  void visit(ModuleVisitor& v) override;

  Linear& q_proj() { return q_proj_; }
  Linear& k_proj() { return k_proj_; }
  Linear& v_proj() { return v_proj_; }
  Linear& out_proj() { return out_proj_; }
  const MultiHeadAttentionConfig& config() const { return config_; }

 protected:
  // As torch: Xavier-uniform q/k/v weights (over the stacked (3E, E) matrix when kdim = vdim = E),
  // zero projection biases, default Linear init for out_proj's weight and a zero out_proj bias.
  void reset_own_parameters(Generator& gen) override;

 private:
  // Whether this call is self-attention that the variant takes as one packed projection.
  bool packs_self_attention(const Tensor& query, const Tensor& key, const Tensor& value, bool need_weights) const;

  MultiHeadAttentionConfig config_;
  int64_t head_dim_;
  Linear q_proj_;
  Linear k_proj_;
  Linear v_proj_;
  Linear out_proj_;
  std::unique_ptr<AttentionVariant> attention_;
};

}  // namespace qkv
