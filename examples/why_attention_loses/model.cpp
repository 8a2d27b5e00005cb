// model.cpp — the hand-written Transformer of model.h.
#include "model.h"

#include <cmath>

namespace why {

using namespace qkv;

// ---- HandAttention ---------------------------------------------------------------------------

HandAttention::HandAttention(const Recipe& recipe, const ModelShape& shape)
    : recipe_(recipe),
      heads_(shape.heads),
      attention_dropout_(shape.attention_dropout),
      q_proj_(shape.d_model, shape.d_model),
      k_proj_(shape.d_model, shape.d_model),
      v_proj_(shape.d_model, shape.d_model),
      out_proj_(shape.d_model, shape.d_model) {}

namespace {

// (B, T, D) → (B, H, T, Dh)
Tensor split_heads(const Tensor& x, int64_t heads) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2);
  return transpose(reshape(x, {b, t, heads, d / heads}), 1, 2);
}

// (B, H, T, Dh) → (B, T, D)
Tensor merge_heads(const Tensor& x) {
  const int64_t b = x.size(0), h = x.size(1), t = x.size(2), dh = x.size(3);
  return reshape(transpose(x, 1, 2), {b, t, h * dh});
}

}  // namespace

Tensor HandAttention::forward(const Tensor& query, const Tensor& memory, const Tensor& allowed) {
  AttentionCall call;
  call.q = split_heads(q_proj_(query), heads_);   // (B, H, Tq, Dh)
  call.k = split_heads(k_proj_(memory), heads_);  // (B, H, Tk, Dh)
  call.v = split_heads(v_proj_(memory), heads_);  // (B, H, Tk, Dh)
  call.allowed = allowed;
  call.dropout = attention_dropout_;
  call.training = training();
  call.gen = &rng_;
  return out_proj_(merge_heads(recipe_.attention(call)));  // (B, Tq, D)
}

void HandAttention::visit(ModuleVisitor& v) {
  v.module("q_proj", q_proj_);
  v.module("k_proj", k_proj_);
  v.module("v_proj", v_proj_);
  v.module("out_proj", out_proj_);
  v.generator("rng", rng_);
}

void HandAttention::reset_own_parameters(Generator& gen) {
  for (Linear* p : {&q_proj_, &k_proj_, &v_proj_, &out_proj_}) recipe_.init_projection(*p, gen);
  rng_ = Generator(gen.next_u64());
}

// ---- EncoderLayer / DecoderLayer -------------------------------------------------------------

namespace {

// Post-norm: LN(x + sublayer(x)); without the residual (a mistake) LN(sublayer(x)).
Tensor add_and_norm(const Tensor& x, const Tensor& sublayer_out, LayerNorm& norm, bool residual) {
  return norm(residual ? x + sublayer_out : sublayer_out);
}

}  // namespace

EncoderLayer::EncoderLayer(const Recipe& recipe, const ModelShape& shape)
    : recipe_(recipe),
      self_attn_(recipe, shape),
      ffn_(shape.d_model, shape.d_ff, shape.dropout),
      norm1_(shape.d_model),
      norm2_(shape.d_model),
      drop1_(shape.dropout),
      drop2_(shape.dropout) {}

Tensor EncoderLayer::forward(const Tensor& x, const Tensor& allowed) {
  const bool residual = recipe_.residual_around_attention;
  Tensor h = add_and_norm(x, drop1_(self_attn_.forward(x, x, allowed)), norm1_, residual);  // (B, S, D)
  return add_and_norm(h, drop2_(ffn_(h)), norm2_, true);
}

void EncoderLayer::visit(ModuleVisitor& v) {
  v.module("self_attn", self_attn_);
  v.module("ffn", ffn_);
  v.module("norm1", norm1_);
  v.module("norm2", norm2_);
  v.module("dropout1", drop1_);
  v.module("dropout2", drop2_);
}

DecoderLayer::DecoderLayer(const Recipe& recipe, const ModelShape& shape)
    : recipe_(recipe),
      self_attn_(recipe, shape),
      cross_attn_(recipe, shape),
      ffn_(shape.d_model, shape.d_ff, shape.dropout),
      norm1_(shape.d_model),
      norm2_(shape.d_model),
      norm3_(shape.d_model),
      drop1_(shape.dropout),
      drop2_(shape.dropout),
      drop3_(shape.dropout) {}

Tensor DecoderLayer::forward(const Tensor& x, const Tensor& memory, const Tensor& self_allowed,
                             const Tensor& cross_allowed) {
  const bool residual = recipe_.residual_around_attention;
  Tensor h = add_and_norm(x, drop1_(self_attn_.forward(x, x, self_allowed)), norm1_, residual);  // (B, T, D)
  h = add_and_norm(h, drop2_(cross_attn_.forward(h, memory, cross_allowed)), norm2_, residual);
  return add_and_norm(h, drop3_(ffn_(h)), norm3_, true);
}

void DecoderLayer::visit(ModuleVisitor& v) {
  v.module("self_attn", self_attn_);
  v.module("cross_attn", cross_attn_);
  v.module("ffn", ffn_);
  v.module("norm1", norm1_);
  v.module("norm2", norm2_);
  v.module("norm3", norm3_);
  v.module("dropout1", drop1_);
  v.module("dropout2", drop2_);
  v.module("dropout3", drop3_);
}

// ---- HandTransformer -------------------------------------------------------------------------

HandTransformer::HandTransformer(const Recipe& recipe, const ModelShape& shape)
    : recipe_(recipe),
      shape_(shape),
      src_embed_(shape.source_vocab, shape.d_model, data::Vocab::kPad),
      tgt_embed_(shape.target_vocab, shape.d_model, data::Vocab::kPad),
      embed_drop_(shape.dropout),
      output_(shape.d_model, shape.target_vocab),
      positions_(models::sinusoidal_table(shape.max_positions, shape.d_model)) {
  for (int64_t i = 0; i < shape.encoder_layers; ++i) encoder_.push_back(std::make_unique<EncoderLayer>(recipe, shape));
  for (int64_t i = 0; i < shape.decoder_layers; ++i) decoder_.push_back(std::make_unique<DecoderLayer>(recipe, shape));
}

void HandTransformer::visit(ModuleVisitor& v) {
  v.module("src_embed", src_embed_);
  v.module("tgt_embed", tgt_embed_);
  for (size_t i = 0; i < encoder_.size(); ++i) v.module(fmt::format("encoder.{}", i), *encoder_[i]);
  for (size_t i = 0; i < decoder_.size(); ++i) v.module(fmt::format("decoder.{}", i), *decoder_[i]);
  v.module("embed_dropout", embed_drop_);
  v.module("output", output_);
  v.buffer("positions", positions_);
}

void HandTransformer::reset_own_parameters(Generator& gen) {
  // Embeddings N(0, 1/D) (the pad row stays 0), so that embed·√D has unit variance.
  const float s = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape_.d_model)));
  for (Embedding* table : {&src_embed_, &tgt_embed_}) {
    float* w = table->weight().data<float>();
    for (int64_t i = 0; i < table->weight().numel(); ++i) w[i] *= s;
  }
}

Tensor HandTransformer::embed(Embedding& table, const Tensor& ids) {
  const int64_t t = ids.size(1);
  Tensor x = table(ids) * std::sqrt(static_cast<double>(shape_.d_model)) + narrow(positions_, 0, 0, t);  // (B, T, D)
  return embed_drop_(x);
}

Tensor HandTransformer::embed_source(const Tensor& src) { return embed(src_embed_, src); }

Tensor HandTransformer::encode(const Tensor& src, const Tensor& src_padding) {
  const Tensor allowed = recipe_.masks.encoder_self(src_padding);
  Tensor x = embed(src_embed_, src);  // (B, S, D)
  for (auto& layer : encoder_) x = layer->forward(x, allowed);
  return x;
}

Tensor HandTransformer::decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding) {
  const Tensor tgt_padding = raw::eq(tgt_in, full({}, static_cast<double>(data::Vocab::kPad), Dtype::int64));
  const Tensor self_allowed = recipe_.masks.decoder_self(tgt_padding);
  const Tensor cross_allowed = recipe_.masks.cross(src_padding);
  Tensor x = embed(tgt_embed_, tgt_in);  // (B, T, D)
  for (auto& layer : decoder_) x = layer->forward(x, memory, self_allowed, cross_allowed);
  return x;
}

Tensor HandTransformer::forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) {
  return output_(decode(tgt_in, encode(src, src_padding), src_padding));  // (B, T, V)
}

namespace {

// What decoding carries from step to step: the encoded source and the prefix so far.
struct PrefixState : models::DecodingState {
  Tensor memory, src_padding;  // (B, S, D), (B, S)
  Tensor prefix;               // (B, t) int64, bos first

  void select(const Tensor& rows, bool include_source) override {
    prefix = raw::index_select(prefix, 0, rows);
    if (include_source) {
      memory = raw::index_select(memory, 0, rows);
      src_padding = raw::index_select(src_padding, 0, rows);
    }
  }
};

}  // namespace

std::unique_ptr<models::DecodingState> HandTransformer::begin_decoding(const Tensor& src, const Tensor& src_padding) {
  auto state = std::make_unique<PrefixState>();
  state->memory = encode(src, src_padding);
  state->src_padding = src_padding;
  return state;
}

Tensor HandTransformer::decode_step(const Tensor& tokens, models::DecodingState& state) {
  auto& s = dynamic_cast<PrefixState&>(state);
  const Tensor column = raw::reshape(tokens, {tokens.size(0), 1});  // (B, 1)
  s.prefix = s.prefix.defined() ? raw::concat({s.prefix, column}, 1) : column.clone();
  const Tensor states = decode(s.prefix, s.memory, s.src_padding);  // (B, t, D)
  return output_(select(states, 1, states.size(1) - 1));            // (B, V)
}

}  // namespace why
