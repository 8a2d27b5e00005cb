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
//
// Cached decoding (models/decoder.cpp) runs forward in two halves, "project the keys and
// values" and "attend with them", so each key and value is projected once and kept:
//
//   KeyValues memory = cross_attn.project_key_values(enc, enc);    // once per sentence
//   out = cross_attn.attend(x_step, memory, padding).out;          // every step, (B, 1, E)
//
//   KeyValues past;                                                // grows one row a step
//   out = self_attn.attend_step(x_step, past);  // appends x_step's keys/values, attends causally
//
// attend(q, project_key_values(k, v), mask) is forward(q, k, v, mask) without the packed
// shortcut: the same projections, head split, variant call and merge (forward is written so).
// Every variant decodes through this one path; none has a decoding method of its own. The cache
// holds only what this layer owns, the projected keys and values; whatever a variant does
// beyond them (conv convolves the keys over time, additive projects them again, local and
// strided keep a pattern of positions, linear sums over prefixes) it redoes from the whole cache
// at every step. So a step gives the full forward's row whenever the variant's output for a
// query depends only on that query, the keys and the mask. Two cases do not, by design: a
// variant that transforms queries over time (conv with option "queries" = 1) sees only the
// current query, and in cross-attention the position-tied patterns (local, strided:
// AttentionVariant::position_tied) place query i at key position i + (Tk - Tq), which depends
// on the full target length (tests/models/cached_attention_test.cpp checks every variant).
#pragma once

#include <memory>
#include <string>

#include "nn/attention/variant.h"
#include "nn/linear.h"

namespace qkv {

struct MultiHeadAttentionConfig {
  int64_t embed_dim = 0;  // E, the query width and the output width
  int64_t num_heads = 1;  // H; must divide E
  int64_t kdim = 0;       // key width (0: E)
  int64_t vdim = 0;       // value width (0: E)
  double dropout = 0.0;   // on the attention weights
  bool bias = true;
  std::string attention = "scaled_dot";   // a registered variant, optionally "+normaliser"
  std::map<std::string, double> options;  // the variant's knobs
  Dtype dtype = Dtype::float32;
};

// Keys and values projected and split into heads: what cached decoding keeps.
struct KeyValues {
  KeyValues() = default;
  KeyValues(Tensor keys, Tensor values) : k(std::move(keys)), v(std::move(values)) {}

  Tensor k;  // (B, H, Tk, Dh)
  Tensor v;  // (B, H, Tk, Dh)

  bool empty() const { return !k.defined(); }
  // this ← this ++ more along the time axis (an empty cache becomes `more`). Outside autograd,
  // k and v are views of the first Tk positions of buffers with room to grow (doubling), and a
  // step writes its keys into that room: decoding T tokens copies O(T) keys, not O(T²) as a
  // concat per step would. A copy of the cache that appends gets buffers of its own. With
  // gradients needed it concatenates, which autograd can follow.
  void append(const KeyValues& more);
  // Rows `rows` (int64, 1-D) of the batch axis, in that order: beam search reorders hypotheses
  // and drops finished sentences with it. An empty cache stays empty.
  KeyValues select_rows(const Tensor& rows) const;

 private:
  Tensor k_room_, v_room_;  // (B, H, capacity, Dh) when k, v are views of them; else undefined
};

class MultiHeadAttention : public Module {
 public:
  explicit MultiHeadAttention(const MultiHeadAttentionConfig& config);

  // out (B, Tq, E); weights (B, H, Tq, Tk) per head when need_weights, else undefined.
  AttentionResult forward(const Tensor& query, const Tensor& key, const Tensor& value, const AttentionMask& mask = {},
                          bool need_weights = false);

  // ---- cached decoding (the header comment) ----
  // key (B, Tk, kdim), value (B, Tk, vdim) → their projections split into heads, (B, H, Tk, Dh) each.
  KeyValues project_key_values(const Tensor& key, const Tensor& value);
  // query (B, Tq, E) over projected keys and values → out (B, Tq, E), and the weights
  // (B, H, Tq, Tk) when need_weights.
  AttentionResult attend(const Tensor& query, const KeyValues& kv, const AttentionMask& mask = {},
                         bool need_weights = false);
  // Causal self-attention over the positions after `past`'s: x (B, Tn, E), usually Tn = 1;
  // appends x's keys and values to past (→ (B, H, Tk + Tn, Dh)) and attends over all of them
  // under AttentionMask::causal(), whose alignment puts the Tn queries last → (B, Tn, E). One
  // query at the last position would see every key anyway, but variants read the causal flag
  // (conv convolves keys causally, local keeps a left-only window), so it is passed on.
  Tensor attend_step(const Tensor& x, KeyValues& past);

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
  // query (B, Tq, E) → q_proj(query) split into heads, (B, H, Tq, Dh).
  Tensor project_queries(const Tensor& query);
  // The variant over q (B, H, Tq, Dh) and kv, its heads merged and projected → out (B, Tq, E).
  AttentionResult attend_heads(const Tensor& q, const KeyValues& kv, const AttentionMask& mask, bool need_weights);

  MultiHeadAttentionConfig config_;
  int64_t head_dim_;
  Linear q_proj_;
  Linear k_proj_;
  Linear v_proj_;
  Linear out_proj_;
  std::unique_ptr<AttentionVariant> attention_;
};

}  // namespace qkv
