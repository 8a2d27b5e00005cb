// seq2seq.h — what a translation model offers everything around it: the trainer's loss, greedy
// and beam decoding (decoding.h), checkpoints and `qkv translate / eval / attention` work with
// any Seq2Seq. Two implement it: the Transformer (transformer.h) and the recurrent
// encoder–decoder with attention (rnn_seq2seq.h).
//
//   Seq2Seq& model = ...;
//   Tensor logits = model.forward(src, src_padding, tgt_in);           // (B, T, V): teacher forcing
//   Tensor loss = model.loss(src, src_padding, tgt_in, tgt_out, {...});  // training: no whole logits
//   std::unique_ptr<DecodingState> state = model.begin_decoding(src, src_padding);  // encodes once
//   Tensor next = model.decode_step(tokens, *state);                   // (B, V): one token further
//   state->select(rows);                                               // beam search: reorder, drop
//
// The decoding contract: feeding tgt_in's columns one by one through decode_step gives the
// rows of forward's logits (each model tests this). A decoding state belongs to the model that
// began it; decode_step checks that it was given its own kind of state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/functional.h"
#include "nn/module.h"

namespace qkv::models {

// Everything a model carries from one decoding step to the next, for a batch of rows.
class DecodingState {
 public:
  virtual ~DecodingState() = default;
  // Keeps rows `rows` (int64, 1-D, indices into the batch), in that order: beam search repeats
  // each sentence beam_size times, reorders hypotheses and drops finished sentences with it.
  // With include_source false the per-sentence source data (encoder output, padding) is left
  // alone: right when every row is replaced by a row of the same sentence, and cheaper.
  virtual void select(const Tensor& rows, bool include_source = true) = 0;
};

// One figure's worth of attention weights, for heatmaps (viz/attention_maps.h).
struct AttentionFigure {
  enum class Tokens { source, target_in, target_out };  // what labels an axis
  std::string name;                                     // file stem, e.g. "cross_attention"
  std::string title;                                    // e.g. "encoder-decoder attention"
  Tokens queries, keys;                                 // rows are queries, columns keys
  std::vector<Tensor> layers;                           // per layer: (H, Tq, Tk)
  std::string panel_title{};                            // one layer of one head: what it is, e.g. "alignment"
};

class Seq2Seq : public Module {
 public:
  // src (B, S) int64; src_padding (B, S) bool, true = pad (undefined: none); tgt_in (B, T)
  // int64, bos + tokens, pad-padded → logits (B, T, V) for tgt_out (teacher forcing).
  virtual Tensor forward(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in) = 0;

  // cross_entropy(forward(src, src_padding, tgt_in), tgt_out, options), tgt_out (B, T) int64:
  // the trainer's loss and the validation loss. This default makes the (B, T, V) logits; qkv's
  // models override it with their output layer fused into the loss (linear_cross_entropy), so
  // that for a mean or a sum the logits are never made whole.
  virtual Tensor loss(const Tensor& src, const Tensor& src_padding, const Tensor& tgt_in, const Tensor& tgt_out,
                      const CrossEntropyOptions& options) {
    return cross_entropy(forward(src, src_padding, tgt_in), tgt_out, options);
  }

  // Encodes the source once; the state then decodes B rows from bos.
  virtual std::unique_ptr<DecodingState> begin_decoding(const Tensor& src, const Tensor& src_padding) = 0;
  // tokens (B) int64, each row's latest token → logits (B, V) for the next one; advances state.
  virtual Tensor decode_step(const Tensor& tokens, DecodingState& state) = 0;

  virtual int64_t target_vocab() const = 0;
  // The longest target (bos included) the model can decode; decoding stops there.
  virtual int64_t max_target_length() const = 0;
  // The longest source (eos included) the model can encode; a longer one throws in forward.
  virtual int64_t max_source_length() const = 0;

  // The model's attention weights on one sentence pair (batch 1), one entry per figure.
  // Runs without gradients in eval mode (the mode is restored afterwards).
  virtual std::vector<AttentionFigure> attention_figures(const Tensor& src, const Tensor& src_padding,
                                                         const Tensor& tgt_in) = 0;
};

}  // namespace qkv::models
