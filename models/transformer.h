// transformer.h — the sequence-to-sequence Transformer (Vaswani et al. 2017): embeddings,
// positions, an encoder stack, a decoder stack and the output projection to target logits.
//
//   TransformerConfig c;  c.source_vocab = 8000;  c.target_vocab = 6000;
//   Transformer model(c);
//   Generator gen(1);  model.reset_parameters(gen);
//   Tensor logits = model.forward(src, src_padding, tgt_in);              // (B, T, V_tgt)
//   Tensor loss = cross_entropy(logits, tgt_out, {.ignore_index = 0});
//
// Embedding: tokens · √D + positions (sinusoidal buffer, or learned), then dropout.
// Masks: encoder self-attention and cross-attention ignore padded source keys
// (src_padding true = pad); decoder self-attention is causal. Target padding needs no mask:
// pads come after the real tokens, which the causal mask already hides them from, and the
// loss ignores their positions.
//
// Parameters (dotted names): source_embedding.weight; target_embedding.weight (absent when
// share_embeddings); output_projection.weight (only when neither tied nor shared) and
// output_projection.bias (always); source_positions.weight / target_positions.weight (learned
// positions) or the buffer positional_encoding (sinusoidal); encoder.layers.N.{self_attn,
// norm1, ffn, norm2}, decoder.layers.N.{self_attn, norm1, cross_attn, norm2, ffn, norm3};
// encoder.norm and decoder.norm with pre-norm.
//
// Initialisation (reset_parameters), as torch users commonly do for nn.Transformer
// translation models and as fairseq does:
//   attention q/k/v weights   Xavier-uniform over torch's packed (3D, D) in_proj matrix, zero biases
//   attention out_proj, FFN   Xavier-uniform weights, zero biases
//   untied output projection  Xavier-uniform; its bias zero (the tied one too)
//   embeddings (token and learned position)  N(0, D^-0.5), so that ·√D gives unit variance
//   LayerNorm                 weight 1, bias 0
// No padding row is special in the embeddings (torch's tutorial model has none either):
// padded source keys are masked and padded target positions are ignored by the loss.
#pragma once

#include <memory>
#include <vector>

#include "models/decoder.h"
#include "models/encoder.h"
#include "models/output_projection.h"
#include "models/seq2seq.h"
#include "models/transformer_config.h"
#include "nn/embedding.h"

namespace qkv::models {

class Transformer : public Seq2Seq {
 public:
  explicit Transformer(const TransformerConfig& config);

  // src (B, S) int64; src_padding (B, S) bool, true = pad (undefined: no padding) → memory (B, S, D)
  Tensor encode(const Tensor& src, const Tensor& src_padding);
  // tgt_in (B, T) int64 (bos + tokens, pad-padded) → logits (B, T, V_tgt)
  Tensor decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding);
  // decode(tgt_in, encode(src, src_padding), src_padding)
  Tensor forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) override;
  Tensor loss(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, const Tensor& tgt_out,
              const CrossEntropyOptions& options) override;
  const TransformerConfig& config() const { return config_; }
  void visit(ModuleVisitor& v) override;

  // ---- incremental decoding (decoding.h uses these) ----
  // Starts a cache over memory (B, S, D): every decoder layer's cross keys/values, computed once.
  DecoderCache start_decoding(const Tensor& memory, const Tensor& src_padding);
  // tokens (B) int64 at position cache.length → logits (B, V_tgt) for the next token.
  Tensor decode_step(const Tensor& tokens, DecoderCache& cache);
  // Seq2Seq's view of the same: a DecoderCache over encode(src, src_padding).
  std::unique_ptr<DecodingState> begin_decoding(const Tensor& src, const Tensor& src_padding) override;
  Tensor decode_step(const Tensor& tokens, DecodingState& state) override;  // state must be a DecoderCache
  int64_t target_vocab() const override { return config_.target_vocab; }
  int64_t max_target_length() const override { return config_.max_positions; }
  int64_t max_source_length() const override { return config_.max_positions; }

  // Per-layer, per-head attention weights of one sentence pair (batch 1), for heatmaps; each
  // (H, Tq, Tk). Runs without gradients in eval mode (the mode is restored afterwards).
  struct AttentionMaps {
    std::vector<Tensor> encoder_self, decoder_self, cross;
  };
  AttentionMaps attention_maps(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in);
  // The same as three figures: encoder self-, decoder self- and cross-attention.
  std::vector<AttentionFigure> attention_figures(const Tensor& src, const Tensor& src_padding,
                                                 const Tensor& tgt_in) override;

 protected:
  void reset_own_parameters(Generator& gen) override;  // the embeddings (see the header comment)

 private:
  Tensor embed_source(const Tensor& src);                        // (B, S) → (B, S, D)
  Tensor embed_target(const Tensor& tgt, int64_t start);         // (B, T) at positions start.. → (B, T, D)
  Tensor positions(bool source, int64_t start, int64_t length);  // (length, D)
  Tensor& target_table();  // the target token embedding (the source one when shared)
  Tensor encode_impl(const Tensor& src, const Tensor& src_padding, std::vector<Tensor>* weights);
  // The decoder's output (B, T, D), before the output projection.
  Tensor decoder_output(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding, DecoderWeights* weights);
  Tensor decode_impl(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_padding, DecoderWeights* weights);

  TransformerConfig config_;
  Embedding source_embedding_;
  std::unique_ptr<Embedding> target_embedding_;  // null when share_embeddings
  std::unique_ptr<Embedding> source_positions_;  // learned positions only
  std::unique_ptr<Embedding> target_positions_;
  Tensor positional_encoding_;  // (max_positions, D), sinusoidal only
  Dropout source_dropout_;
  Dropout target_dropout_;
  Encoder encoder_;
  Decoder decoder_;
  OutputProjection output_projection_;
};

}  // namespace qkv::models
