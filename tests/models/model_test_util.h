// model_test_util.h — what the [models] tests share: tiny Transformer and RNN configs, random
// batches, comparing logits, and checking that a training step gives finite gradients.
// Test-only (uses Catch2); every function is inline so each test file can include it.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/grad_mode.h"
#include "models/rnn_seq2seq_config.h"
#include "models/transformer.h"
#include "nn/functional.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "tensor/views.h"

namespace qkv::models::testing {

inline TransformerConfig tiny_config(bool pre_norm, Dtype dtype = Dtype::float64) {
  TransformerConfig c;
  c.source_vocab = 11;
  c.target_vocab = 13;
  c.d_model = 8;
  c.num_heads = 2;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.ffn_dim = 12;
  c.dropout = 0.0;
  c.pre_norm = pre_norm;
  c.max_positions = 64;
  c.dtype = dtype;
  return c;
}

// A tiny recurrent encoder–decoder with the vocabularies of random_batch below: bidirectional
// two-layer encoder (K = 6), decoder of width 5 (so queries are projected to K), dropout 0.
inline RnnSeq2SeqConfig tiny_rnn_config(const std::string& cell, const std::string& attention,
                                        Dtype dtype = Dtype::float64) {
  RnnSeq2SeqConfig c;
  c.source_vocab = 11;
  c.target_vocab = 13;
  c.cell = parse_enum<RnnCell>(cell, "tiny_rnn_config");
  c.attention = attention;
  c.embedding_dim = 4;
  c.encoder_hidden = 3;
  c.encoder_layers = 2;
  c.decoder_hidden = 5;
  c.decoder_layers = 1;
  c.dropout = 0.0;
  c.dtype = dtype;
  return c;
}

struct Batch {
  Tensor src;          // (B, S) int64, pad = 0 at the end of shorter rows
  Tensor src_padding;  // (B, S) bool
  Tensor tgt_in;       // (B, T) int64
  Tensor tgt_out;      // (B, T) int64
};

// Row b of the source has lengths[b] real tokens (ids 4..vocab-1) then padding; the target is random.
inline Batch random_batch(const std::vector<int64_t>& lengths, int64_t S, int64_t T, int64_t src_vocab,
                          int64_t tgt_vocab, Generator& gen) {
  const int64_t B = static_cast<int64_t>(lengths.size());
  std::vector<int64_t> src, tgt_in, tgt_out;
  std::vector<bool> pad;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      const bool is_pad = s >= lengths[static_cast<size_t>(b)];
      pad.push_back(is_pad);
      src.push_back(is_pad ? 0 : 4 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(src_vocab - 4))));
    }
    for (int64_t t = 0; t < T; ++t) {
      tgt_in.push_back(t == 0 ? 2 : 4 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(tgt_vocab - 4))));
      tgt_out.push_back(4 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(tgt_vocab - 4))));
    }
  }
  return {from_vector(src, {B, S}), from_vector(pad, {B, S}), from_vector(tgt_in, {B, T}),
          from_vector(tgt_out, {B, T})};
}

// Largest |a - b| over all elements; a and b must have the same shape.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto x = to_vector<double>(a), y = to_vector<double>(b);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// Decodes batch.tgt_in column by column through begin_decoding/decode_step (eval mode, no
// gradients; the mode is left in eval) and returns the largest difference from forward's logits.
inline double max_step_difference(Seq2Seq& model, const Batch& batch) {
  model.eval();
  NoGradGuard no_grad;
  const Tensor full = model.forward(batch.src, batch.src_padding, batch.tgt_in);  // (B, T, V)
  const auto state = model.begin_decoding(batch.src, batch.src_padding);
  double worst = 0;
  for (int64_t t = 0; t < batch.tgt_in.size(1); ++t) {
    const Tensor step = model.decode_step(raw::contiguous(raw::select(batch.tgt_in, 1, t)), *state);  // (B, V)
    worst = std::max(worst, max_abs_diff(step, raw::select(full, 1, t)));
  }
  return worst;
}

// The loss of `batch` is finite and backward gives every parameter a finite gradient.
inline void require_finite_training_step(Seq2Seq& model, const Batch& batch) {
  const Tensor loss =
      cross_entropy(model.forward(batch.src, batch.src_padding, batch.tgt_in), batch.tgt_out, {.ignore_index = 0});
  REQUIRE(std::isfinite(loss.item()));
  loss.backward();
  for (auto& [name, p] : model.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    for (double g : to_vector<double>(p.grad())) REQUIRE(std::isfinite(g));
  }
}

}  // namespace qkv::models::testing
