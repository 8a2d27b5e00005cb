// decoder.cpp — DecoderLayer and Decoder, full-prefix and cached one-step paths.
#include "models/decoder.h"

#include "autograd/ops/elementwise.h"
#include "models/encoder.h"
#include "tensor/index.h"

namespace qkv::models {

DecoderLayer::DecoderLayer(const TransformerConfig& c, int64_t index)
    : pre_norm_(c.pre_norm),
      self_attn_(attention_config(c, c.self_attention,
                                  c.self_attention_options.for_layer(index, c.decoder_layers, "decoder"))),
      norm1_(c.d_model, 1e-5, true, c.dtype),
      cross_attn_(attention_config(c, c.cross_attention,
                                   c.cross_attention_options.for_layer(index, c.decoder_layers, "decoder"))),
      norm2_(c.d_model, 1e-5, true, c.dtype),
      ffn_(c.d_model, c.ffn_dim, c.dropout, c.activation, c.dtype),
      norm3_(c.d_model, 1e-5, true, c.dtype),
      dropout1_(c.dropout),
      dropout2_(c.dropout),
      dropout3_(c.dropout) {}

void DecoderLayer::visit(ModuleVisitor& v) {
  v.module("self_attn", self_attn_);
  v.module("norm1", norm1_);
  v.module("cross_attn", cross_attn_);
  v.module("norm2", norm2_);
  v.module("ffn", ffn_);
  v.module("norm3", norm3_);
  v.module("dropout1", dropout1_);
  v.module("dropout2", dropout2_);
  v.module("dropout3", dropout3_);
}

void DecoderLayer::reset_own_parameters(Generator& gen) {
  xavier_weights_zero_biases(self_attn_.out_proj(), gen);
  xavier_weights_zero_biases(cross_attn_.out_proj(), gen);
  xavier_weights_zero_biases(ffn_, gen);
}

Tensor DecoderLayer::forward(const Tensor& y, const Tensor& memory, const AttentionMask& memory_mask, Tensor* self_w,
                             Tensor* cross_w) {
  const AttentionMask causal = AttentionMask::causal();
  if (pre_norm_) {
    const Tensor h = norm1_(y);                                                  // (B, T, D)
    AttentionResult s = self_attn_.forward(h, h, h, causal, self_w != nullptr);  // (B, T, D)
    const Tensor a = y + dropout1_(s.out);
    AttentionResult c = cross_attn_.forward(norm2_(a), memory, memory, memory_mask, cross_w != nullptr);
    const Tensor b = a + dropout2_(c.out);
    if (self_w) *self_w = s.weights;    // (B, H, T, T)
    if (cross_w) *cross_w = c.weights;  // (B, H, T, S)
    return b + dropout3_(ffn_(norm3_(b)));
  }
  AttentionResult s = self_attn_.forward(y, y, y, causal, self_w != nullptr);
  const Tensor a = norm1_(y + dropout1_(s.out));
  AttentionResult c = cross_attn_.forward(a, memory, memory, memory_mask, cross_w != nullptr);
  const Tensor b = norm2_(a + dropout2_(c.out));
  if (self_w) *self_w = s.weights;
  if (cross_w) *cross_w = c.weights;
  return norm3_(b + dropout3_(ffn_(b)));
}

KeyValues DecoderLayer::project_memory(const Tensor& memory) { return cross_attn_.project_key_values(memory, memory); }

Tensor DecoderLayer::step(const Tensor& y, LayerCache& cache, const AttentionMask& memory_mask) {
  const Tensor h = pre_norm_ ? norm1_(y) : y;              // (B, 1, D)
  const Tensor s = self_attn_.attend_step(h, cache.self);  // (B, 1, D); cache.self (B, H, t+1, Dh)
  if (pre_norm_) {
    const Tensor a = y + dropout1_(s);
    const Tensor b = a + dropout2_(cross_attn_.attend(norm2_(a), cache.cross, memory_mask).out);
    return b + dropout3_(ffn_(norm3_(b)));
  }
  const Tensor a = norm1_(y + dropout1_(s));
  const Tensor b = norm2_(a + dropout2_(cross_attn_.attend(a, cache.cross, memory_mask).out));
  return norm3_(b + dropout3_(ffn_(b)));
}

Decoder::Decoder(const TransformerConfig& c) {
  layers_.reserve(static_cast<size_t>(c.decoder_layers));
  for (int64_t i = 0; i < c.decoder_layers; ++i) layers_.emplace_back(c, i);
  if (c.pre_norm) norm_ = std::make_unique<LayerNorm>(c.d_model, 1e-5, true, c.dtype);
}

void Decoder::visit(ModuleVisitor& v) {
  for (size_t i = 0; i < layers_.size(); ++i) v.module("layers." + std::to_string(i), layers_[i]);
  if (norm_) v.module("norm", *norm_);
}

Tensor Decoder::forward(const Tensor& y, const Tensor& memory, const AttentionMask& memory_mask,
                        DecoderWeights* weights) {
  Tensor h = y;  // (B, T, D)
  for (auto& layer : layers_) {
    Tensor sw, cw;
    h = layer.forward(h, memory, memory_mask, weights ? &sw : nullptr, weights ? &cw : nullptr);
    if (weights) {
      weights->self.push_back(sw);
      weights->cross.push_back(cw);
    }
  }
  return norm_ ? norm_->forward(h) : h;
}

DecoderCache Decoder::start(const Tensor& memory, const Tensor& src_padding) {
  DecoderCache cache;
  cache.src_padding = src_padding;
  cache.memory_mask = src_padding.defined() ? AttentionMask::key_padding(src_padding) : AttentionMask();
  cache.layers.reserve(layers_.size());
  for (auto& layer : layers_) cache.layers.push_back({KeyValues{}, layer.project_memory(memory)});
  return cache;
}

Tensor Decoder::step(const Tensor& y, DecoderCache& cache) {
  check(cache.layers.size() == layers_.size(), "Decoder::step: the cache has {} layers, the decoder {}",
        cache.layers.size(), layers_.size());
  Tensor h = y;  // (B, 1, D)
  for (size_t i = 0; i < layers_.size(); ++i) h = layers_[i].step(h, cache.layers[i], cache.memory_mask);
  ++cache.length;
  return norm_ ? norm_->forward(h) : h;
}

void DecoderCache::select(const Tensor& rows, bool include_source) {
  for (auto& layer : layers) {
    layer.self = layer.self.select_rows(rows);
    if (include_source) layer.cross = layer.cross.select_rows(rows);
  }
  if (include_source && src_padding.defined()) {
    src_padding = raw::index_select(src_padding, 0, rows);
    memory_mask = AttentionMask::key_padding(src_padding);
  }
}

}  // namespace qkv::models
