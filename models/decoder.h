// decoder.h — the Transformer decoder: masked self-attention, cross-attention over the encoder's
// memory, feed-forward; post-norm or pre-norm as in encoder.h (norm1, norm2, norm3, and a final
// "norm" for pre-norm). Names follow torch.nn.TransformerDecoderLayer, with the cross-attention
// called "cross_attn" (torch: multihead_attn) and the feed-forward block "ffn".
//
// Two ways to run it, with the same result:
//   forward  the whole target prefix at once under a causal mask (training, scoring);
//   step     one new position per call, with every layer's self-attention keys/values and the
//            memory's cross-attention keys/values cached in a DecoderCache (decoding), so a
//            step costs O(T) attention instead of re-running the prefix. The attention layers
//            fill and read the caches (MultiHeadAttention::attend_step, attend).
#pragma once

#include <memory>
#include <vector>

#include "models/seq2seq.h"
#include "models/transformer_config.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/layers.h"

namespace qkv::models {

struct LayerCache {
  KeyValues self;   // (B, H, t, Dh): one row per position decoded so far
  KeyValues cross;  // (B, H, S, Dh): the memory's, computed once
};

struct DecoderCache : DecodingState {
  std::vector<LayerCache> layers;
  AttentionMask memory_mask;  // key padding of the source, (B, S)
  Tensor src_padding;         // (B, S) bool, or undefined (no padding)
  int64_t length = 0;         // positions decoded so far (the next step's position)

  // Keeps rows `rows` of every cached tensor (seq2seq.h). With include_source false the
  // memory's cross keys/values and padding are left alone: beams reordered within their
  // sentence share its memory, and that part of the cache is the largest to copy.
  void select(const Tensor& rows, bool include_source = true) override;
};

struct DecoderWeights {
  std::vector<Tensor> self, cross;  // per layer: (B, H, T, T) and (B, H, T, S)
};

class DecoderLayer : public Module {
 public:
  // Layer `index` (0-based) of c.decoder_layers: its attention gets that layer's options.
  DecoderLayer(const TransformerConfig& c, int64_t index);
  // y (B, T, D), memory (B, S, D) → (B, T, D); causal self-attention, `memory_mask` on the keys of
  // cross-attention. Weights go to *self_w (B, H, T, T) and *cross_w (B, H, T, S) if not null.
  Tensor forward(const Tensor& y, const Tensor& memory, const AttentionMask& memory_mask, Tensor* self_w = nullptr,
                 Tensor* cross_w = nullptr);
  // The memory's cross-attention keys and values, (B, H, S, Dh) each.
  KeyValues project_memory(const Tensor& memory);
  // y (B, 1, D) at the next position → (B, 1, D); appends this position's keys/values to cache.self.
  Tensor step(const Tensor& y, LayerCache& cache, const AttentionMask& memory_mask);
  void visit(ModuleVisitor& v) override;

 protected:
  void reset_own_parameters(Generator& gen) override;  // as EncoderLayer's

 private:
  bool pre_norm_;
  MultiHeadAttention self_attn_;
  LayerNorm norm1_;
  MultiHeadAttention cross_attn_;
  LayerNorm norm2_;
  FeedForward ffn_;
  LayerNorm norm3_;
  Dropout dropout1_;
  Dropout dropout2_;
  Dropout dropout3_;
};

class Decoder : public Module {
 public:
  explicit Decoder(const TransformerConfig& c);
  // y (B, T, D) embedded target prefix, memory (B, S, D) → (B, T, D) final states.
  Tensor forward(const Tensor& y, const Tensor& memory, const AttentionMask& memory_mask,
                 DecoderWeights* weights = nullptr);
  // An empty cache for `memory` (B, S, D): cross keys/values projected once per layer.
  DecoderCache start(const Tensor& memory, const Tensor& src_padding);
  // y (B, 1, D) embedded token at position cache.length → (B, 1, D); advances cache.length.
  Tensor step(const Tensor& y, DecoderCache& cache);
  void visit(ModuleVisitor& v) override;  // layers.0, ..., norm (pre-norm only)

 private:
  std::vector<DecoderLayer> layers_;
  std::unique_ptr<LayerNorm> norm_;
};

}  // namespace qkv::models
