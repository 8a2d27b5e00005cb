// rnn_seq2seq.cpp — embeddings, the recurrent encoder, and the wiring of the attention decoder
// into training, step-by-step decoding and alignment figures (rnn_seq2seq.h).
#include "models/rnn_seq2seq.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/views.h"
#include "models/eval_mode_guard.h"
#include "models/input_checks.h"
#include "nn/init.h"
#include "tensor/factories.h"

namespace qkv::models {
namespace {

const RnnSeq2SeqConfig& validated(const RnnSeq2SeqConfig& c) {
  c.validate();
  return c;
}

RnnConfig encoder_config(const RnnSeq2SeqConfig& c) {
  return {.input_size = c.embedding_dim,
          .hidden_size = c.encoder_hidden,
          .num_layers = c.encoder_layers,
          .bidirectional = c.bidirectional,
          .dropout = c.dropout,
          .dtype = c.dtype};
}

// (B) int64: each row's real tokens, which must come first and number at least one; undefined
// without padding (every row has all S).
Tensor source_lengths(const Tensor& src_padding) {
  if (!src_padding.defined()) return Tensor();
  const int64_t B = src_padding.size(0), S = src_padding.size(1);
  const std::vector<int64_t> pad = to_vector<int64_t>(src_padding);
  std::vector<int64_t> lengths(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    while (n < S && pad[static_cast<size_t>(b * S + n)] == 0) ++n;
    for (int64_t s = n; s < S; ++s) {
      check(pad[static_cast<size_t>(b * S + s)] != 0,
            "RnnSeq2Seq::encode: row {} of src_padding has a real token at {} after padding at {}; padding must "
            "follow the tokens",
            b, s, n);
    }
    check(n >= 1, "RnnSeq2Seq::encode: row {} of the source is all padding (every row needs a token, e.g. eos)", b);
    lengths[static_cast<size_t>(b)] = n;
  }
  return from_vector(lengths);
}

}  // namespace

RnnSeq2Seq::RnnSeq2Seq(const RnnSeq2SeqConfig& config)
    : config_(validated(config)),
      source_embedding_(config.source_vocab, config.embedding_dim, -1, config.dtype),
      target_embedding_(config.target_vocab, config.embedding_dim, -1, config.dtype),
      source_dropout_(config.dropout),
      target_dropout_(config.dropout),
      decoder_(config),
      output_projection_(config.embedding_dim, config.target_vocab, !config.tie_output, config.dtype) {
  if (config.cell == RnnCell::lstm) {
    lstm_ = std::make_unique<LSTM>(encoder_config(config));
  } else {
    gru_ = std::make_unique<GRU>(encoder_config(config));
  }
}

void RnnSeq2Seq::visit(ModuleVisitor& v) {
  v.module("source_embedding", source_embedding_);
  v.module("target_embedding", target_embedding_);
  v.module("source_dropout", source_dropout_);
  v.module("target_dropout", target_dropout_);
  if (gru_) v.module("encoder", *gru_);
  if (lstm_) v.module("encoder", *lstm_);
  v.module("decoder", decoder_);
  v.module("output_projection", output_projection_);
}

void RnnSeq2Seq::reset_own_parameters(Generator& gen) {
  const double stddev = 1.0 / std::sqrt(static_cast<double>(config_.embedding_dim));
  init_normal_(source_embedding_.weight(), gen, 0.0, stddev);
  init_normal_(target_embedding_.weight(), gen, 0.0, stddev);
}

Tensor RnnSeq2Seq::encode(const Tensor& src, const Tensor& src_padding) {
  check_tokens("RnnSeq2Seq::encode", "src", src);
  check_padding("RnnSeq2Seq::encode", src_padding, src);
  const Tensor x = source_dropout_(source_embedding_(src));                                        // (B, S, E)
  const Tensor lengths = source_lengths(src_padding);                                              // (B) or undefined
  return gru_ ? gru_->forward(x, {}, lengths).output : lstm_->forward(x, {}, {}, lengths).output;  // (B, S, K)
}

Tensor RnnSeq2Seq::decoder_output(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, Tensor* weights) {
  check_tokens("RnnSeq2Seq::forward", "tgt_in", tgt_in);
  check(tgt_in.size(0) == src.size(0) && tgt_in.size(1) >= 1,
        "RnnSeq2Seq::forward: tgt_in {} must have src's batch {} and at least one step", tgt_in.shape(), src.size(0));
  RnnDecoderState state = decoder_.start(encode(src, src_padding), src_padding);
  const Tensor y = target_dropout_(target_embedding_(tgt_in));  // (B, T, E)
  return decoder_.forward(y, state, weights);                   // (B, T, E)
}

Tensor RnnSeq2Seq::forward_impl(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, Tensor* weights) {
  return output_projection_.forward(decoder_output(src, src_padding, tgt_in, weights),
                                    target_embedding_.weight());  // (B, T, V)
}

Tensor RnnSeq2Seq::forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) {
  return forward_impl(src, src_padding, tgt_in, nullptr);
}

Tensor RnnSeq2Seq::loss(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, const Tensor& tgt_out,
                        const CrossEntropyOptions& options) {
  return output_projection_.loss(decoder_output(src, src_padding, tgt_in, nullptr), target_embedding_.weight(), tgt_out,
                                 options);
}

std::unique_ptr<DecodingState> RnnSeq2Seq::begin_decoding(const Tensor& src, const Tensor& src_padding) {
  return std::make_unique<RnnDecoderState>(decoder_.start(encode(src, src_padding), src_padding));
}

Tensor RnnSeq2Seq::decode_step(const Tensor& tokens, DecodingState& state) {
  auto* s = dynamic_cast<RnnDecoderState*>(&state);
  check(s != nullptr, "RnnSeq2Seq::decode_step: the decoding state was not begun by an RnnSeq2Seq");
  check(tokens.dim() == 1 && tokens.dtype() == Dtype::int64,
        "RnnSeq2Seq::decode_step: tokens must be (B) int64, got {}", tokens.shape());
  const Tensor y = target_dropout_(target_embedding_(tokens));       // (B, E)
  const Tensor o = decoder_.step(y, *s);                             // (B, E)
  return output_projection_.forward(o, target_embedding_.weight());  // (B, V)
}

std::vector<AttentionFigure> RnnSeq2Seq::attention_figures(const Tensor& src, const Tensor& src_padding,
                                                           const Tensor& tgt_in) {
  check(src.dim() == 2 && src.size(0) == 1 && tgt_in.dim() == 2 && tgt_in.size(0) == 1,
        "RnnSeq2Seq::attention_figures: expects one sentence pair (batch 1), got src {} and tgt_in {}", src.shape(),
        tgt_in.shape());
  NoGradGuard no_grad;
  EvalModeGuard eval_mode(*this);
  Tensor weights;
  forward_impl(src, src_padding, tgt_in, &weights);  // weights (1, T, S): one head
  using Tokens = AttentionFigure::Tokens;
  return {{"cross_attention",
           "decoder attention over the source",
           Tokens::target_out,
           Tokens::source,
           {weights},
           "alignment"}};
}

}  // namespace qkv::models
