// rnn_decoder.cpp — the attention decoder's start state, its step and its readout (rnn_decoder.h).
#include "models/rnn_decoder.h"

#include <string>

#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "nn/rnn/gru.h"
#include "nn/rnn/lstm.h"
#include "nn/rnn/steps.h"
#include "nn/rnn/unbind_steps.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/index.h"
#include "tensor/reduce.h"

namespace qkv::models {
namespace {

AttentionConfig one_head(const RnnSeq2SeqConfig& c) {
  AttentionConfig a;
  a.num_heads = 1;
  a.head_dim = c.encoder_dim();  // queries arrive at the keys' width
  a.value_dim = c.encoder_dim();
  a.dtype = c.dtype;
  return a;
}

// Row b's real positions: S minus its pads, (B, 1) in `dtype`.
Tensor real_counts(const Tensor& src_padding, int64_t batch, int64_t length, Dtype dtype) {
  if (!src_padding.defined()) return full({batch, 1}, static_cast<double>(length), dtype);
  return raw::sum(raw::to_dtype(raw::logical_not(src_padding), dtype), {1}, /*keepdim=*/true);
}

}  // namespace

void RnnDecoderState::select(const Tensor& rows, bool include_source) {
  for (Tensor& t : h) t = index_select(t, 0, rows);
  for (Tensor& t : c) t = index_select(t, 0, rows);
  if (!include_source) return;
  keys = index_select(keys, 0, rows);
  values = index_select(values, 0, rows);
  if (src_padding.defined()) {
    src_padding = raw::index_select(src_padding, 0, rows);
    mask = AttentionMask::key_padding(src_padding);
  }
}

AttentionDecoder::AttentionDecoder(const RnnSeq2SeqConfig& config)
    : config_(config),
      bridge_(config.encoder_dim(), config.decoder_layers * config.decoder_hidden, true, config.dtype),
      attention_(make_attention(config.attention, one_head(config))),
      readout_(config.decoder_hidden + config.encoder_dim() + config.embedding_dim, config.embedding_dim, true,
               config.dtype),
      layer_dropout_(config.dropout),
      readout_dropout_(config.dropout) {
  const int64_t hd = config.decoder_hidden;
  for (int64_t l = 0; l < config.decoder_layers; ++l) {
    const int64_t in = l == 0 ? config.embedding_dim + config.encoder_dim() : hd;  // [y; c], then s below
    if (config.cell == RnnCell::lstm) {
      layers_.push_back(std::make_unique<LSTMCell>(in, hd, true, config.dtype));
    } else {
      layers_.push_back(std::make_unique<GRUCell>(in, hd, true, config.dtype));
    }
  }
  if (hd != config.encoder_dim())
    query_projection_ = std::make_unique<Linear>(hd, config.encoder_dim(), false, config.dtype);
}

void AttentionDecoder::visit(ModuleVisitor& v) {
  v.module("bridge", bridge_);
  for (size_t l = 0; l < layers_.size(); ++l) v.module("layers." + std::to_string(l), *layers_[l]);
  if (query_projection_) v.module("query_projection", *query_projection_);
  v.module("attention", *attention_);
  v.module("readout", readout_);
  v.module("layer_dropout", layer_dropout_);
  v.module("readout_dropout", readout_dropout_);
}

RnnDecoderState AttentionDecoder::start(const Tensor& memory, const Tensor& src_padding) {
  const int64_t K = config_.encoder_dim();
  check(memory.dim() == 3 && memory.size(2) == K, "AttentionDecoder::start: memory must be (B, S, {}), got {}", K,
        memory.shape());
  const int64_t B = memory.size(0), S = memory.size(1);
  check(!src_padding.defined() || src_padding.shape() == Shape{B, S},
        "AttentionDecoder::start: src_padding must be (B, S) = {}, got {}", Shape{B, S}, src_padding.shape());
  RnnDecoderState st;
  st.src_padding = src_padding;
  st.mask = src_padding.defined() ? AttentionMask::key_padding(src_padding) : AttentionMask();
  st.values = reshape(memory, {B, 1, S, K});                                              // (B, 1, S, K): one head
  st.keys = attention_->prepare_keys(st.values);                                          // (B, 1, S, ·)
  const Tensor mean = sum(memory, {1}) / real_counts(src_padding, B, S, memory.dtype());  // (B, K)
  const Tensor s0 = tanh(bridge_(mean));                                                  // (B, L·Hd)
  st.h = split(s0, config_.decoder_hidden, 1);                                            // L × (B, Hd)
  if (config_.cell == RnnCell::lstm) st.c.assign(layers_.size(), zeros({B, config_.decoder_hidden}, memory.dtype()));
  return st;
}

AttentionDecoder::StepWeights AttentionDecoder::step_weights() {
  StepWeights w;
  const Tensor& w_ih = layers_[0]->weight_ih();                                                  // (G·Hd, E + K)
  w.context_t = transpose(narrow(w_ih, 1, config_.embedding_dim, config_.encoder_dim()), 0, 1);  // (K, G·Hd)
  for (auto& layer : layers_) w.hh_t.push_back(transpose(layer->weight_hh(), 0, 1));             // (Hd, G·Hd)
  return w;
}

Tensor AttentionDecoder::input_projection(const Tensor& y) {
  RecurrentCell& first = *layers_[0];
  const Tensor w_iy = narrow(first.weight_ih(), 1, 0, config_.embedding_dim);  // (G·Hd, E)
  return linear(y, w_iy, first.bias_ih());                                     // (..., G·Hd)
}

Tensor AttentionDecoder::advance(const Tensor& gi_y, RnnDecoderState& st, const StepWeights& w, Tensor* weights) {
  const int64_t B = gi_y.size(0), K = config_.encoder_dim();
  Tensor q = st.h.back();                                    // (B, Hd)
  if (query_projection_) q = query_projection_->forward(q);  // (B, K)
  const AttentionResult r =
      attention_->forward_prepared(reshape(q, {B, 1, 1, K}), st.keys, st.values, st.mask, weights != nullptr);
  const Tensor context = reshape(r.out, {B, K});                   // (B, K)
  if (weights != nullptr) *weights = reshape(r.weights, {B, -1});  // (B, S)
  Tensor gi = gi_y + matmul(context, w.context_t);                 // (B, G·Hd): W_i[y; c] + b_ih
  for (size_t l = 0; l < layers_.size(); ++l) {
    RecurrentCell& cell = *layers_[l];
    if (l > 0) gi = linear(layer_dropout_(st.h[l - 1]), cell.weight_ih(), cell.bias_ih());
    if (config_.cell == RnnCell::lstm) {
      auto [h, c] = lstm_step(gi + cell.bias_hh(), st.h[l], st.c[l], w.hh_t[l]);  // (B, Hd) each
      st.h[l] = std::move(h);
      st.c[l] = std::move(c);
    } else {
      st.h[l] = gru_step(gi, st.h[l], w.hh_t[l], cell.bias_hh());  // (B, Hd)
    }
  }
  return context;
}

Tensor AttentionDecoder::readout(const Tensor& s, const Tensor& context, const Tensor& y) {
  const Tensor features = concat({s, context, y}, -1);        // (..., Hd + K + E)
  return readout_dropout_(tanh(readout_.forward(features)));  // (..., E)
}

Tensor AttentionDecoder::forward(const Tensor& y, RnnDecoderState& state, Tensor* weights) {
  check(y.dim() == 3 && y.size(2) == config_.embedding_dim && y.size(0) == state.values.size(0),
        "AttentionDecoder::forward: y must be (B, T, {}) with the state's B = {}, got {}", config_.embedding_dim,
        state.values.size(0), y.shape());
  const StepWeights w = step_weights();
  const std::vector<Tensor> gi_y = unbind_steps(input_projection(y), 1);  // T × (B, G·Hd)
  std::vector<Tensor> tops, contexts, alignments;
  for (const Tensor& gi : gi_y) {
    Tensor wt;
    contexts.push_back(advance(gi, state, w, weights != nullptr ? &wt : nullptr));  // (B, K)
    tops.push_back(state.h.back());                                                 // (B, Hd)
    if (weights != nullptr) alignments.push_back(wt);
  }
  if (weights != nullptr) *weights = stack(alignments, 1);  // (B, T, S)
  return readout(stack(tops, 1), stack(contexts, 1), y);    // (B, T, E)
}

Tensor AttentionDecoder::step(const Tensor& y, RnnDecoderState& state) {
  check(y.dim() == 2 && y.size(1) == config_.embedding_dim && y.size(0) == state.values.size(0),
        "AttentionDecoder::step: y must be (B, {}) with the state's B = {}, got {}", config_.embedding_dim,
        state.values.size(0), y.shape());
  const Tensor context = advance(input_projection(y), state, step_weights(), nullptr);  // (B, K)
  return readout(state.h.back(), context, y);                                           // (B, E)
}

}  // namespace qkv::models
