// encoder.cpp — EncoderLayer and Encoder (see encoder.h for the two norm placements).
#include "models/encoder.h"

#include "autograd/ops/elementwise.h"
#include "nn/init.h"

namespace qkv::models {

MultiHeadAttentionConfig attention_config(const TransformerConfig& c, const std::string& variant,
                                          std::map<std::string, double> options) {
  MultiHeadAttentionConfig a;
  a.embed_dim = c.d_model;
  a.num_heads = c.num_heads;
  a.dropout = c.attention_dropout;
  a.attention = variant;
  a.options = std::move(options);
  a.dtype = c.dtype;
  return a;
}

void xavier_weights_zero_biases(Module& m, Generator& gen) {
  for (auto& [name, p] : m.named_parameters()) {
    if (p.dim() >= 2) {
      init_xavier_uniform_(p, gen);
    } else {
      init_constant_(p, 0.0);
    }
  }
}

EncoderLayer::EncoderLayer(const TransformerConfig& c, int64_t index)
    : pre_norm_(c.pre_norm),
      self_attn_(attention_config(c, c.self_attention,
                                  c.self_attention_options.for_layer(index, c.encoder_layers, "encoder"))),
      norm1_(c.d_model, 1e-5, true, c.dtype),
      ffn_(c.d_model, c.ffn_dim, c.dropout, c.activation, c.dtype),
      norm2_(c.d_model, 1e-5, true, c.dtype),
      dropout1_(c.dropout),
      dropout2_(c.dropout) {}

void EncoderLayer::visit(ModuleVisitor& v) {
  v.module("self_attn", self_attn_);
  v.module("norm1", norm1_);
  v.module("ffn", ffn_);
  v.module("norm2", norm2_);
  v.module("dropout1", dropout1_);
  v.module("dropout2", dropout2_);
}

void EncoderLayer::reset_own_parameters(Generator& gen) {
  xavier_weights_zero_biases(self_attn_.out_proj(), gen);
  xavier_weights_zero_biases(ffn_, gen);
}

Tensor EncoderLayer::forward(const Tensor& x, const AttentionMask& mask, Tensor* weights) {
  const bool need = weights != nullptr;
  if (pre_norm_) {
    const Tensor h = norm1_(x);                                   // (B, S, D)
    AttentionResult a = self_attn_.forward(h, h, h, mask, need);  // (B, S, D)
    if (need) *weights = a.weights;                               // (B, H, S, S)
    const Tensor y = x + dropout1_(a.out);
    return y + dropout2_(ffn_(norm2_(y)));
  }
  AttentionResult a = self_attn_.forward(x, x, x, mask, need);
  if (need) *weights = a.weights;
  const Tensor y = norm1_(x + dropout1_(a.out));
  return norm2_(y + dropout2_(ffn_(y)));
}

Encoder::Encoder(const TransformerConfig& c) {
  layers_.reserve(static_cast<size_t>(c.encoder_layers));
  for (int64_t i = 0; i < c.encoder_layers; ++i) layers_.emplace_back(c, i);
  if (c.pre_norm) norm_ = std::make_unique<LayerNorm>(c.d_model, 1e-5, true, c.dtype);
}

void Encoder::visit(ModuleVisitor& v) {
  for (size_t i = 0; i < layers_.size(); ++i) v.module("layers." + std::to_string(i), layers_[i]);
  if (norm_) v.module("norm", *norm_);
}

Tensor Encoder::forward(const Tensor& x, const AttentionMask& mask, std::vector<Tensor>* weights) {
  Tensor h = x;  // (B, S, D)
  for (auto& layer : layers_) {
    Tensor w;
    h = layer.forward(h, mask, weights != nullptr ? &w : nullptr);
    if (weights != nullptr) weights->push_back(w);
  }
  return norm_ ? norm_->forward(h) : h;
}

}  // namespace qkv::models
