// rnn_seq2seq.h — the recurrent encoder–decoder with attention (Bahdanau, Cho and Bengio 2015,
// "Neural Machine Translation by Jointly Learning to Align and Translate"): the model attention
// was invented for. A Seq2Seq (seq2seq.h), so the trainer, decoding and the qkv command use it
// as they use the Transformer.
//
//   RnnSeq2SeqConfig c;  c.source_vocab = 6000;  c.target_vocab = 8000;  // GRU, additive attention
//   RnnSeq2Seq model(c);
//   Generator gen(1);  model.reset_parameters(gen);
//   Tensor logits = model.forward(src, src_padding, tgt_in);              // (B, T, V_tgt)
//   Tensor loss = cross_entropy(logits, tgt_out, {.ignore_index = 0});
//
// Encoder: x_j = dropout(E_src[src_j]), then a (bidirectional) GRU or LSTM stack over x_1..x_S
// with each row's length taken from src_padding (padding must follow the real tokens, as
// data/batching.h makes it): h_j (K = dirs·He) holds the directions' states at j side by side,
// 0 at padded positions. Decoder: rnn_decoder.h (the equations), with y_t = dropout(E_tgt[tgt_in_t])
// and logits_t = o_t·E_tgtᵀ + b (tie_output) or o_t·Wᵀ + b. Training is teacher-forced: every
// step reads the reference's previous token.
//
// Initialisation: embeddings N(0, 1/E) so that the tied output starts with logits of about unit
// spread; recurrent layers as torch (U(±1/√Hd)); linear layers as torch's Linear; an untied
// output projection Xavier-uniform; the output bias 0.
//
// Parameters: source_embedding.weight, target_embedding.weight, encoder.* (torch.nn.GRU/LSTM
// names: weight_ih_l0, ..., weight_hh_l0_reverse, ...), decoder.* (rnn_decoder.h),
// output_projection.bias (and output_projection.weight when not tied).
#pragma once

#include <limits>
#include <memory>
#include <vector>

#include "models/output_projection.h"
#include "models/rnn_decoder.h"
#include "models/rnn_seq2seq_config.h"
#include "models/seq2seq.h"
#include "nn/embedding.h"
#include "nn/rnn/gru.h"
#include "nn/rnn/lstm.h"

namespace qkv::models {

class RnnSeq2Seq : public Seq2Seq {
 public:
  explicit RnnSeq2Seq(const RnnSeq2SeqConfig& config);

  // src (B, S) int64; src_padding (B, S) bool, true = pad, or undefined → memory (B, S, K).
  Tensor encode(const Tensor& src, const Tensor& src_padding);
  // tgt_in (B, T) int64 (bos + tokens, pad-padded) → logits (B, T, V_tgt).
  Tensor forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) override;
  Tensor loss(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, const Tensor& tgt_out,
              const CrossEntropyOptions& options) override;

  // An RnnDecoderState over the encoded source (its decoder states, keys, values and padding).
  std::unique_ptr<DecodingState> begin_decoding(const Tensor& src, const Tensor& src_padding) override;
  // tokens (B) int64 → logits (B, V_tgt); state must be an RnnDecoderState.
  Tensor decode_step(const Tensor& tokens, DecodingState& state) override;
  int64_t target_vocab() const override { return config_.target_vocab; }
  int64_t max_target_length() const override { return std::numeric_limits<int64_t>::max(); }  // no positions
  int64_t max_source_length() const override { return std::numeric_limits<int64_t>::max(); }

  // One figure: the attention weights (1, T, S) of each decoder step over the source, rows
  // labelled by the token each step produces (Bahdanau et al.'s alignment plots).
  std::vector<AttentionFigure> attention_figures(const Tensor& src, const Tensor& src_padding,
                                                 const Tensor& tgt_in) override;

  const RnnSeq2SeqConfig& config() const { return config_; }
  void visit(ModuleVisitor& v) override;

 protected:
  void reset_own_parameters(Generator& gen) override;  // the embeddings (see above)

 private:
  // The decoder's readout (B, T, E), before the output projection, with the decoder's attention
  // weights (B, T, S) to *weights when not null; forward_impl adds the projection.
  Tensor decoder_output(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, Tensor* weights);
  Tensor forward_impl(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, Tensor* weights);

  RnnSeq2SeqConfig config_;
  Embedding source_embedding_;
  Embedding target_embedding_;
  Dropout source_dropout_;
  Dropout target_dropout_;
  std::unique_ptr<GRU> gru_;    // the encoder when cell is RnnCell::gru
  std::unique_ptr<LSTM> lstm_;  // the encoder when cell is RnnCell::lstm
  AttentionDecoder decoder_;
  OutputProjection output_projection_;
};

}  // namespace qkv::models
