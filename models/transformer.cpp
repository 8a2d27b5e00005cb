// transformer.cpp — embeddings, masks and the wiring of encoder, decoder and output projection.
#include "models/transformer.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"
#include "models/eval_mode_guard.h"
#include "models/input_checks.h"
#include "models/positional_encoding.h"
#include "nn/init.h"
#include "tensor/views.h"

namespace qkv::models {
namespace {

const TransformerConfig& validated(const TransformerConfig& c) {
  c.validate();
  return c;
}

AttentionMask padding_mask(const Tensor& src_padding) {
  return src_padding.defined() ? AttentionMask::key_padding(src_padding) : AttentionMask();
}

}  // namespace

Transformer::Transformer(const TransformerConfig& config)
    : config_(validated(config)),
      source_embedding_(config.source_vocab, config.d_model, -1, config.dtype),
      source_dropout_(config.dropout),
      target_dropout_(config.dropout),
      encoder_(config),
      decoder_(config),
      output_projection_(config.d_model, config.target_vocab, !config.share_embeddings && !config.tie_output,
                         config.dtype) {
  if (!config.share_embeddings) {
    target_embedding_ = std::make_unique<Embedding>(config.target_vocab, config.d_model, -1, config.dtype);
  }
  if (config.learned_positions) {
    source_positions_ = std::make_unique<Embedding>(config.max_positions, config.d_model, -1, config.dtype);
    target_positions_ = std::make_unique<Embedding>(config.max_positions, config.d_model, -1, config.dtype);
  } else {
    positional_encoding_ = sinusoidal_table(config.max_positions, config.d_model, config.dtype);
  }
}

void Transformer::visit(ModuleVisitor& v) {
  v.module("source_embedding", source_embedding_);
  if (target_embedding_) v.module("target_embedding", *target_embedding_);
  if (source_positions_) {
    v.module("source_positions", *source_positions_);
    v.module("target_positions", *target_positions_);
  } else {
    v.buffer("positional_encoding", positional_encoding_);
  }
  v.module("source_dropout", source_dropout_);
  v.module("target_dropout", target_dropout_);
  v.module("encoder", encoder_);
  v.module("decoder", decoder_);
  v.module("output_projection", output_projection_);
}

void Transformer::reset_own_parameters(Generator& gen) {
  const double stddev = 1.0 / std::sqrt(static_cast<double>(config_.d_model));
  for (Embedding* e : {&source_embedding_, target_embedding_.get(), source_positions_.get(), target_positions_.get()}) {
    if (e != nullptr) init_normal_(e->weight(), gen, 0.0, stddev);
  }
}

Tensor& Transformer::target_table() {
  return target_embedding_ ? target_embedding_->weight() : source_embedding_.weight();
}

Tensor Transformer::positions(bool source, int64_t start, int64_t length) {
  check(start + length <= config_.max_positions,
        "Transformer: positions {}..{} exceed max_positions {} (a longer {} than the model covers)", start,
        start + length - 1, config_.max_positions, source ? "source" : "target");
  if (source_positions_) {
    return narrow((source ? source_positions_ : target_positions_)->weight(), 0, start, length);  // (length, D)
  }
  return raw::narrow(positional_encoding_, 0, start, length);  // (length, D), a view
}

Tensor Transformer::embed_source(const Tensor& src) {
  const double scale = std::sqrt(static_cast<double>(config_.d_model));
  const Tensor x = source_embedding_(src) * scale + positions(true, 0, src.size(1));  // (B, S, D)
  return source_dropout_(x);
}

Tensor Transformer::embed_target(const Tensor& tgt, int64_t start) {
  const double scale = std::sqrt(static_cast<double>(config_.d_model));
  const Tensor y = embedding(target_table(), tgt) * scale + positions(false, start, tgt.size(1));  // (B, T, D)
  return target_dropout_(y);
}

Tensor Transformer::encode_impl(const Tensor& src, const Tensor& src_padding, std::vector<Tensor>* weights) {
  check_tokens("Transformer::encode", "src", src);
  check_padding("Transformer::encode", src_padding, src);
  return encoder_.forward(embed_source(src), padding_mask(src_padding), weights);  // (B, S, D)
}

Tensor Transformer::decoder_output(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding,
                                   DecoderWeights* weights) {
  check_tokens("Transformer::decode", "tgt_in", tgt_in);
  check(memory.dim() == 3 && memory.size(0) == tgt_in.size(0) && memory.size(2) == config_.d_model,
        "Transformer::decode: memory must be (B, S, {}) with tgt_in's B = {}, got {}", config_.d_model, tgt_in.size(0),
        memory.shape());
  if (src_padding.defined()) {
    check(src_padding.dtype() == Dtype::bool_ && src_padding.dim() == 2 && src_padding.size(0) == memory.size(0) &&
              src_padding.size(1) == memory.size(1),
          "Transformer::decode: src_padding must be bool (B, S) matching memory {}, got {}", memory.shape(),
          src_padding.shape());
  }
  return decoder_.forward(embed_target(tgt_in, 0), memory, padding_mask(src_padding), weights);  // (B, T, D)
}

Tensor Transformer::decode_impl(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding,
                                DecoderWeights* weights) {
  return output_projection_.forward(decoder_output(tgt_in, memory, src_padding, weights), target_table());  // (B, T, V)
}

Tensor Transformer::encode(const Tensor& src, const Tensor& src_padding) {
  return encode_impl(src, src_padding, nullptr);
}

Tensor Transformer::decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding) {
  return decode_impl(tgt_in, memory, src_padding, nullptr);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) {
  return decode(tgt_in, encode(src, src_padding), src_padding);
}

Tensor Transformer::loss(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, const Tensor& tgt_out,
                         const CrossEntropyOptions& options) {
  const Tensor h = decoder_output(tgt_in, encode(src, src_padding), src_padding, nullptr);  // (B, T, D)
  return output_projection_.loss(h, target_table(), tgt_out, options);
}

DecoderCache Transformer::start_decoding(const Tensor& memory, const Tensor& src_padding) {
  check(memory.dim() == 3 && memory.size(2) == config_.d_model,
        "Transformer::start_decoding: memory must be (B, S, {}), got {}", config_.d_model, memory.shape());
  return decoder_.start(memory, src_padding);
}

Tensor Transformer::decode_step(const Tensor& tokens, DecoderCache& cache) {
  check(tokens.dim() == 1 && tokens.dtype() == Dtype::int64,
        "Transformer::decode_step: tokens must be (B) int64, got {}", tokens.shape());
  const Tensor y = embed_target(view(tokens, {tokens.size(0), 1}), cache.length);    // (B, 1, D)
  const Tensor h = decoder_.step(y, cache);                                          // (B, 1, D)
  return view(output_projection_.forward(h, target_table()), {tokens.size(0), -1});  // (B, V)
}

std::unique_ptr<DecodingState> Transformer::begin_decoding(const Tensor& src, const Tensor& src_padding) {
  return std::make_unique<DecoderCache>(start_decoding(encode(src, src_padding), src_padding));
}

Tensor Transformer::decode_step(const Tensor& tokens, DecodingState& state) {
  auto* cache = dynamic_cast<DecoderCache*>(&state);
  check(cache != nullptr, "Transformer::decode_step: the decoding state was not begun by a Transformer");
  return decode_step(tokens, *cache);
}

std::vector<AttentionFigure> Transformer::attention_figures(const Tensor& src, const Tensor& src_padding,
                                                            const Tensor& tgt_in) {
  AttentionMaps maps = attention_maps(src, src_padding, tgt_in);
  using Tokens = AttentionFigure::Tokens;
  return {{"encoder_self_attention", "encoder self-attention", Tokens::source, Tokens::source, maps.encoder_self},
          {"decoder_self_attention", "decoder self-attention (causal)", Tokens::target_in, Tokens::target_in,
           maps.decoder_self},
          {"cross_attention", "encoder-decoder attention", Tokens::target_in, Tokens::source, maps.cross}};
}

Transformer::AttentionMaps Transformer::attention_maps(const Tensor& src, const Tensor& src_padding,
                                                       const Tensor& tgt_in) {
  check(src.dim() == 2 && src.size(0) == 1 && tgt_in.dim() == 2 && tgt_in.size(0) == 1,
        "Transformer::attention_maps: expects one sentence pair (batch 1), got src {} and tgt_in {}", src.shape(),
        tgt_in.shape());
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(*this);
  AttentionMaps maps;
  std::vector<Tensor> enc;
  DecoderWeights dec;
  const Tensor memory = encode_impl(src, src_padding, &enc);
  decode_impl(tgt_in, memory, src_padding, &dec);
  for (const Tensor& w : enc) maps.encoder_self.push_back(select(w, 0, 0));       // (H, S, S)
  for (const Tensor& w : dec.self) maps.decoder_self.push_back(select(w, 0, 0));  // (H, T, T)
  for (const Tensor& w : dec.cross) maps.cross.push_back(select(w, 0, 0));        // (H, T, S)
  return maps;
}

}  // namespace qkv::models
