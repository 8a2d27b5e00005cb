// rnn_seq2seq_config.h — every size and choice of the recurrent encoder–decoder with attention
// (rnn_seq2seq.h), in one struct that round-trips through checkpoint metadata and validates
// itself. The defaults are the bundled RNN recipe for Multi30k en→de: 256-wide embeddings, a
// one-layer bidirectional GRU encoder of 256 per direction, a one-layer GRU decoder of 512,
// Bahdanau's additive attention, dropout 0.3, output tied to the target embedding. Each field
// is listed once more in rnn_seq2seq_config_fields below, which the metadata round trip, the
// range checks and qkv train's --rnn-* flags come from (config_fields.h).
//
//   RnnSeq2SeqConfig c;
//   c.source_vocab = 6000;  c.target_vocab = 8000;  c.attention = "bilinear";
//   c.validate();                                      // throws qkv::Error naming the bad field
//   RnnSeq2SeqConfig back = RnnSeq2SeqConfig::from_metadata(c.to_metadata());
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "models/config_fields.h"
#include "tensor/dtype.h"
#include "tensor/enum_names.h"

namespace qkv::models {

// The recurrent cell of the encoder and the decoder (nn/rnn.h), by name "gru" or "lstm".
enum class RnnCell { gru, lstm };
constexpr EnumNames<RnnCell, 2> enum_names(RnnCell) {
  return {"RNN cell", {{{RnnCell::gru, "gru"}, {RnnCell::lstm, "lstm"}}}};
}

struct RnnSeq2SeqConfig {
  int64_t source_vocab = 0, target_vocab = 0;
  RnnCell cell = RnnCell::gru;   // in the encoder and the decoder
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
  // Throws qkv::Error naming the first bad field: a size or dropout outside its range, an
  // unknown attention variant or normaliser, or a position-tied variant (local, strided:
  // variant.h), whose pattern places each query at a key position, which a decoder step over the
  // source does not have.
  void validate() const;
};

// Every field once (config_fields.h). The flags are qkv train's --rnn-* options; "" means the
// field has none (vocabulary sizes come from the data, dtype keeps its default).
inline constexpr std::tuple rnn_seq2seq_config_fields{
    // key, member, flag, help, valid range
    Field{"source_vocab", &RnnSeq2SeqConfig::source_vocab, "", "", above(0)},
    Field{"target_vocab", &RnnSeq2SeqConfig::target_vocab, "", "", above(0)},
    Field{"cell", &RnnSeq2SeqConfig::cell, "--rnn-cell", "gru or lstm, in encoder and decoder"},
    Field{"embedding_dim", &RnnSeq2SeqConfig::embedding_dim, "--rnn-embedding",
          "source and target embedding width (and the readout's)", above(0)},
    Field{"encoder_hidden", &RnnSeq2SeqConfig::encoder_hidden, "--rnn-encoder-hidden",
          "encoder state width per direction", above(0)},
    Field{"encoder_layers", &RnnSeq2SeqConfig::encoder_layers, "--rnn-encoder-layers", "encoder layers", at_least(1)},
    Field{"bidirectional", &RnnSeq2SeqConfig::bidirectional, "--rnn-bidirectional,!--rnn-unidirectional",
          "the encoder reads both ways"},
    Field{"decoder_hidden", &RnnSeq2SeqConfig::decoder_hidden, "--rnn-decoder-hidden", "decoder state width", above(0)},
    Field{"decoder_layers", &RnnSeq2SeqConfig::decoder_layers, "--rnn-decoder-layers", "decoder layers", at_least(1)},
    Field{"attention", &RnnSeq2SeqConfig::attention, "--rnn-attention",
          "how the decoder state is matched against each encoder state: any content-based variant (qkv "
          "variants), e.g. additive, bilinear, cosine"},
    Field{"dropout", &RnnSeq2SeqConfig::dropout, "--rnn-dropout",
          "dropout on embeddings, between layers and on the readout", interval('[', 0, 1, ')')},
    Field{"tie_output", &RnnSeq2SeqConfig::tie_output, "--rnn-tie-output,!--rnn-no-tie-output",
          "output projection shares the target embedding"},
    Field{"dtype", &RnnSeq2SeqConfig::dtype, "", ""},
};

}  // namespace qkv::models
