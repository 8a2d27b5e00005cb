// rnn_seq2seq_config.cpp — RnnSeq2SeqConfig's metadata round trip and validation.
#include "models/rnn_seq2seq_config.h"

#include "models/config_metadata.h"
#include "nn/attention/variant.h"
#include "tensor/error.h"

namespace qkv::models {

std::map<std::string, std::string> RnnSeq2SeqConfig::to_metadata() const {
  return {
      {"source_vocab", fmt::format("{}", source_vocab)},
      {"target_vocab", fmt::format("{}", target_vocab)},
      {"cell", cell},
      {"embedding_dim", fmt::format("{}", embedding_dim)},
      {"encoder_hidden", fmt::format("{}", encoder_hidden)},
      {"encoder_layers", fmt::format("{}", encoder_layers)},
      {"bidirectional", bool_text(bidirectional)},
      {"decoder_hidden", fmt::format("{}", decoder_hidden)},
      {"decoder_layers", fmt::format("{}", decoder_layers)},
      {"attention", attention},
      {"dropout", fmt::format("{}", dropout)},  // shortest text that reads back exactly
      {"tie_output", bool_text(tie_output)},
      {"dtype", std::string(dtype_name(dtype))},
  };
}

RnnSeq2SeqConfig RnnSeq2SeqConfig::from_metadata(const std::map<std::string, std::string>& m) {
  const MetadataReader r("RnnSeq2SeqConfig::from_metadata", m);
  RnnSeq2SeqConfig c;
  c.source_vocab = r.integer("source_vocab");
  c.target_vocab = r.integer("target_vocab");
  c.cell = r.text("cell");
  c.embedding_dim = r.integer("embedding_dim");
  c.encoder_hidden = r.integer("encoder_hidden");
  c.encoder_layers = r.integer("encoder_layers");
  c.bidirectional = r.boolean("bidirectional");
  c.decoder_hidden = r.integer("decoder_hidden");
  c.decoder_layers = r.integer("decoder_layers");
  c.attention = r.text("attention");
  c.dropout = r.number("dropout");
  c.tie_output = r.boolean("tie_output");
  c.dtype = r.dtype("dtype");
  c.validate();
  return c;
}

void RnnSeq2SeqConfig::validate() const {
  check(source_vocab > 0 && target_vocab > 0, "RnnSeq2SeqConfig: source_vocab {} and target_vocab {} must be positive",
        source_vocab, target_vocab);
  check(cell == "gru" || cell == "lstm", "RnnSeq2SeqConfig: cell must be 'gru' or 'lstm', got '{}'", cell);
  check(embedding_dim > 0 && encoder_hidden > 0 && decoder_hidden > 0,
        "RnnSeq2SeqConfig: embedding_dim {}, encoder_hidden {} and decoder_hidden {} must be positive", embedding_dim,
        encoder_hidden, decoder_hidden);
  check(encoder_layers >= 1 && decoder_layers >= 1,
        "RnnSeq2SeqConfig: encoder_layers {} and decoder_layers {} must be at least 1", encoder_layers, decoder_layers);
  check(dropout >= 0 && dropout < 1, "RnnSeq2SeqConfig: dropout {} is outside [0, 1)", dropout);
  check(is_floating(dtype), "RnnSeq2SeqConfig: dtype must be float32 or float64, got {}", dtype_name(dtype));
  check_attention_name("RnnSeq2SeqConfig", "attention", attention);
  AttentionConfig probe;
  probe.head_dim = 1;
  check(!make_attention(attention, probe)->position_tied(),
        "RnnSeq2SeqConfig: attention '{}' is position-tied (it places query i at key position i + Tk - Tq, mask.h); "
        "a decoder step attending over the source has no source position, so its pattern would follow the padded "
        "source length. Choose a content-based variant (qkv variants)",
        attention);
}

}  // namespace qkv::models
