// rnn_seq2seq_config.h — every size and choice of the recurrent encoder–decoder with attention
// (rnn_seq2seq.h), in one struct that round-trips through checkpoint metadata and validates
// itself. The defaults are the bundled RNN recipe for Multi30k en→de: 256-wide embeddings, a
// one-layer bidirectional GRU encoder of 256 per direction, a one-layer GRU decoder of 512,
// Bahdanau's additive attention, dropout 0.3, output tied to the target embedding.
//
//   RnnSeq2SeqConfig c;
//   c.source_vocab = 6000;  c.target_vocab = 8000;  c.attention = "bilinear";
//   c.validate();                                      // throws qkv::Error naming the bad field
//   RnnSeq2SeqConfig back = RnnSeq2SeqConfig::from_metadata(c.to_metadata());
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tensor/dtype.h"

namespace qkv::models {

struct RnnSeq2SeqConfig {
  int64_t source_vocab = 0, target_vocab = 0;
  std::string cell = "gru";      // "gru" or "lstm", in the encoder and the decoder
  int64_t embedding_dim = 256;   // E: source and target embeddings, and the readout
  int64_t encoder_hidden = 256;  // He, per direction
  int64_t encoder_layers = 1;
  bool bidirectional = true;     // the encoder reads the source both ways
  int64_t decoder_hidden = 512;  // Hd
  int64_t decoder_layers = 1;
  std::string attention = "additive";  // any registered variant that is not position-tied (+normaliser)
  double dropout = 0.3;                // on embeddings, between recurrent layers, on the readout
  bool tie_output = true;              // the output projection shares the target embedding
  Dtype dtype = Dtype::float32;        // of every parameter (float64 for gradchecks and parity)

  // K, the width of an encoder state h_j: the directions' states side by side.
  int64_t encoder_dim() const { return (bidirectional ? 2 : 1) * encoder_hidden; }

  // Every field above under its own name; numbers in full precision, bools as "true"/"false".
  std::map<std::string, std::string> to_metadata() const;
  // The inverse; throws qkv::Error naming a missing or unparsable key, then validates.
  static RnnSeq2SeqConfig from_metadata(const std::map<std::string, std::string>& metadata);
  // Throws qkv::Error naming the first bad field: sizes, the cell, dropout, an unknown attention
  // variant or normaliser, or a position-tied variant (local, strided: variant.h), whose pattern
  // places each query at a key position, which a decoder step over the source does not have.
  void validate() const;
};

}  // namespace qkv::models
