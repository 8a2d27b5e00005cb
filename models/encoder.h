// encoder.h — the Transformer encoder: a stack of self-attention + feed-forward layers.
//
//   post-norm (the paper):  x = LN1(x + drop(self_attn(x)));  x = LN2(x + drop(ffn(x)))
//   pre-norm:               x = x + drop(self_attn(LN1(x)));  x = x + drop(ffn(LN2(x))),
//                           and one more LayerNorm ("norm") after the last layer
//
// Names follow torch.nn.TransformerEncoderLayer where it has them (self_attn, norm1, norm2,
// dropout1, dropout2), with the feed-forward block as "ffn" (ffn.linear1, ffn.linear2).
// Input: embedded tokens (B, S, D); padded source positions are masked as keys.
#pragma once

#include <memory>
#include <vector>

#include "models/transformer_config.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/layers.h"

namespace qkv::models {

// The MultiHeadAttentionConfig of a Transformer attention block (self or cross) of `c`, with the
// variant's options for one layer (AttentionOptions::for_layer).
MultiHeadAttentionConfig attention_config(const TransformerConfig& c, const std::string& variant,
                                          std::map<std::string, double> options);

class EncoderLayer : public Module {
 public:
  // Layer `index` (0-based) of c.encoder_layers: its attention gets that layer's options.
  EncoderLayer(const TransformerConfig& c, int64_t index);
  // x (B, S, D) → (B, S, D); the self-attention weights (B, H, S, S) go to *weights if not null.
  Tensor forward(const Tensor& x, const AttentionMask& mask, Tensor* weights = nullptr);
  void visit(ModuleVisitor& v) override;

 protected:
  // After the children's defaults: Xavier-uniform out_proj and feed-forward weights, zero biases.
  void reset_own_parameters(Generator& gen) override;

 private:
  bool pre_norm_;
  MultiHeadAttention self_attn_;
  LayerNorm norm1_;
  FeedForward ffn_;
  LayerNorm norm2_;
  Dropout dropout1_;
  Dropout dropout2_;
};

class Encoder : public Module {
 public:
  explicit Encoder(const TransformerConfig& c);
  // x (B, S, D) embedded source → memory (B, S, D). weights: one (B, H, S, S) per layer if not null.
  Tensor forward(const Tensor& x, const AttentionMask& mask, std::vector<Tensor>* weights = nullptr);
  void visit(ModuleVisitor& v) override;  // layers.0, layers.1, ..., norm (pre-norm only)

 private:
  std::vector<EncoderLayer> layers_;
  std::unique_ptr<LayerNorm> norm_;  // pre-norm only
};

// Shared by both stacks: Xavier-uniform on every matrix of `m`'s parameters, zeros on every vector.
void xavier_weights_zero_biases(Module& m, Generator& gen);

}  // namespace qkv::models
