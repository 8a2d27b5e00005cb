// rnn_decoder.h — the recurrent decoder with attention of rnn_seq2seq.h: at every step it
// matches its state against every encoder state, normalises the scores, and feeds the weighted
// sum of the encoder states (the context) into its next step.
//
//   AttentionDecoder decoder(config);
//   RnnDecoderState state = decoder.start(memory, src_padding);  // memory (B, S, K)
//   Tensor o = decoder.forward(y, state);                        // y (B, T, E) → readout (B, T, E)
//   Tensor o_t = decoder.step(y_t, state);                       // y_t (B, E) → (B, E), one step
//
// Step t = 1..T, for one layer (layer l > 0 takes dropout(s_t of layer l - 1) as its input):
//   q_t = s_{t-1}, the top layer's state; W_q·s_{t-1} when Hd ≠ K   (B, K)
//   α_t = normalise_j score(q_t, h_j), padded j excluded              (B, S)   the attention variant
//   c_t = Σ_j α_tj h_j                                                (B, K)   the context
//   s_t = cell([y_t; c_t], s_{t-1})                                   (B, Hd)  GRU or LSTM
//   o_t = dropout(tanh(W_o [s_t; c_t; y_t] + b_o))                    (B, E)   the readout
// y_t is the embedding of the previous target token (tgt_in[t], bos first). This is Bahdanau et
// al.'s arrangement: the context of step t is computed from s_{t-1} and enters both the
// recurrence and the readout. Before the first step s_0 = tanh(W_b·mean_j h_j + b_b), one slice
// of Hd per layer; an LSTM's cell state starts at 0.
//
// The match function is any registered attention variant with one head over keys = values =
// the encoder states; the classic three are "cosine" (cos(z, h)/τ), "additive" (vᵀ tanh(W_q z +
// W_k h), a small network of z and h) and "bilinear" (zᵀ W h). Every variant scores queries and
// keys of one width, so when Hd ≠ K the query is projected to K by W_q (query_projection, no
// bias) first; the keys stay the encoder states themselves.
//
// Done once per batch instead of once per step: the keys' preparation (additive's W_k·h_j,
// variant.h prepare_keys), the y half of layer 0's input projection for all steps (one product
// of (B·T, E) by (E, G·Hd)), the transposed weights, and after the loop the readout of all steps.
// A step then costs c_t·W_icᵀ, s·W_hhᵀ, the query's side of the scores and the gates.
//
// Parameters: bridge.{weight, bias} (L·Hd, K); layers.N.{weight_ih, weight_hh, bias_ih, bias_hh}
// (torch's GRUCell/LSTMCell layout; layer 0's weight_ih columns are [y | c]);
// query_projection.weight (only when Hd ≠ K); attention.* (the variant's own); readout.{weight,
// bias} (E, Hd + K + E).
#pragma once

#include <memory>
#include <vector>

#include "models/rnn_seq2seq_config.h"
#include "models/seq2seq.h"
#include "nn/attention/variant.h"
#include "nn/layers.h"
#include "nn/rnn/recurrent_cell.h"

namespace qkv::models {

// What the decoder carries from step to step, for B rows.
struct RnnDecoderState : DecodingState {
  std::vector<Tensor> h;  // per layer (B, Hd)
  std::vector<Tensor> c;  // per layer (B, Hd), LSTM only
  Tensor keys;            // (B, 1, S, ·): the attention's prepared keys
  Tensor values;          // (B, 1, S, K): the encoder states
  Tensor src_padding;     // (B, S) bool, true = pad; or undefined
  AttentionMask mask;     // key padding from src_padding

  void select(const Tensor& rows, bool include_source = true) override;
};

class AttentionDecoder : public Module {
 public:
  explicit AttentionDecoder(const RnnSeq2SeqConfig& config);

  // memory (B, S, K), zero at padded positions (as the encoder leaves it) → the state before step 1.
  RnnDecoderState start(const Tensor& memory, const Tensor& src_padding);
  // y (B, T, E), the embedded tgt_in → readout (B, T, E); advances state by T steps. The
  // attention weights (B, T, S) go to *weights when it is not null.
  Tensor forward(const Tensor& y, RnnDecoderState& state, Tensor* weights = nullptr);
  // y (B, E), the embedded latest token → readout (B, E); advances state by one step.
  Tensor step(const Tensor& y, RnnDecoderState& state);
  void visit(ModuleVisitor& v) override;

 private:
  // Transposed weights every step reads: W_icᵀ (K, G·Hd), the context columns of layer 0's
  // W_ih, and each layer's W_hhᵀ (Hd, G·Hd).
  struct StepWeights {
    Tensor context_t;
    std::vector<Tensor> hh_t;
  };
  StepWeights step_weights();
  // y (..., E) → y·W_iyᵀ + b_ih (..., G·Hd): the y columns of layer 0's input projection.
  Tensor input_projection(const Tensor& y);
  // One step from its gi_y (B, G·Hd): attention with the top state, then every layer. Returns
  // the context c_t (B, K); its weights (B, S) go to *weights when not null.
  Tensor advance(const Tensor& gi_y, RnnDecoderState& state, const StepWeights& w, Tensor* weights);
  // s (..., Hd), c (..., K), y (..., E) → o (..., E).
  Tensor readout(const Tensor& s, const Tensor& context, const Tensor& y);

  RnnSeq2SeqConfig config_;
  Linear bridge_;
  std::vector<std::unique_ptr<RecurrentCell>> layers_;
  std::unique_ptr<Linear> query_projection_;  // null when Hd == K
  std::unique_ptr<AttentionVariant> attention_;
  Linear readout_;
  Dropout layer_dropout_;
  Dropout readout_dropout_;
};

}  // namespace qkv::models
