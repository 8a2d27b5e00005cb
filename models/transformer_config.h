// transformer_config.h — every size and choice of a seq2seq Transformer, in one struct that
// round-trips through checkpoint metadata (string → string) and validates itself. Each field
// is listed once more, in transformer_config_fields below (key, flag, help, valid range), and
// the metadata round trip, the range checks and qkv train's flags all come from that list.
//
//   TransformerConfig c;
//   c.source_vocab = 8000; c.target_vocab = 6000; c.pre_norm = true;
//   c.validate();                                  // throws qkv::Error naming the bad field
//   io::Metadata m = c.to_metadata();              // {"d_model": "256", "pre_norm": "true", ...}
//   TransformerConfig back = TransformerConfig::from_metadata(m);
//
// It says nothing about training (learning rates, label smoothing): those belong to the trainer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "models/attention_options.h"
#include "models/config_fields.h"
#include "nn/layers.h"
#include "tensor/dtype.h"

namespace qkv::models {

struct TransformerConfig {
  int64_t source_vocab = 0, target_vocab = 0;
  int64_t d_model = 256, num_heads = 8, encoder_layers = 3, decoder_layers = 3, ffn_dim = 1024;
  double dropout = 0.1;            // residual/embedding dropout
  double attention_dropout = 0.0;  // on attention weights
  bool pre_norm = false;           // false: x = LN(x + sublayer(x)); true: x + sublayer(LN(x)) and a final LN per stack
  bool learned_positions = false;  // false: sinusoidal (fixed buffer); true: learned position embedding
  int64_t max_positions = 256;     // longest source or target (bos included) the positions cover
  bool share_embeddings = false;   // source, target and output projection share one matrix (equal vocabs)
  bool tie_output = true;          // output projection shares the target embedding
  std::string self_attention = "scaled_dot";  // any registered variant (optionally "+normaliser")
  std::string cross_attention = "scaled_dot";
  // The variants' options ("window=8", "kernel=3,5,7": one value per layer), attention_options.h.
  // Self-attention's apply to the encoder's and the decoder's self-attention alike.
  AttentionOptions self_attention_options;
  AttentionOptions cross_attention_options;
  Activation activation = Activation::relu;  // in the feed-forward block (nn/layers.h)
  Dtype dtype = Dtype::float32;              // of every parameter (float64 for gradchecks and parity)

  // Every field above under its own name; numbers in full precision, bools as "true"/"false".
  std::map<std::string, std::string> to_metadata() const;
  // The inverse; throws qkv::Error naming a missing or unparsable key, then validates. The two
  // option keys may be missing: to_metadata leaves out empty options, so a run without any
  // writes the same metadata as before they existed.
  static TransformerConfig from_metadata(const std::map<std::string, std::string>& metadata);
  // Throws qkv::Error naming the first bad field: a size or dropout outside its range,
  // d_model % num_heads, share_embeddings with unequal vocabs, an unknown attention variant or
  // normaliser, an option its variant does not take or a value outside its range, a per-layer
  // list whose length is not the stack's number of layers.
  void validate() const;
};

// Every field once (config_fields.h). The flags are qkv train's; "" means the field has none
// (vocabulary sizes come from the data, dtype and max_positions keep their defaults).
inline constexpr std::tuple transformer_config_fields{
    // key, member, flag, help, valid range
    Field{"source_vocab", &TransformerConfig::source_vocab, "", "", above(0)},
    Field{"target_vocab", &TransformerConfig::target_vocab, "", "", above(0)},
    Field{"d_model", &TransformerConfig::d_model, "--d-model", "model width", above(0)},
    Field{"num_heads", &TransformerConfig::num_heads, "--heads", "attention heads", above(0)},
    Field{"encoder_layers", &TransformerConfig::encoder_layers, "--encoder-layers", "encoder layers", at_least(1)},
    Field{"decoder_layers", &TransformerConfig::decoder_layers, "--decoder-layers", "decoder layers", at_least(1)},
    Field{"ffn_dim", &TransformerConfig::ffn_dim, "--ffn-dim", "position-wise feed-forward width", above(0)},
    Field{"dropout", &TransformerConfig::dropout, "--dropout", "residual and embedding dropout",
          interval('[', 0, 1, ')')},
    Field{"attention_dropout", &TransformerConfig::attention_dropout, "--attention-dropout",
          "dropout on attention weights", interval('[', 0, 1, ')')},
    Field{"pre_norm", &TransformerConfig::pre_norm, "--pre-norm,!--post-norm",
          "LayerNorm before each sublayer (default: after, as in the paper)"},
    Field{"learned_positions", &TransformerConfig::learned_positions, "--learned-positions",
          "learned position embeddings instead of sinusoids"},
    Field{"max_positions", &TransformerConfig::max_positions, "", "", at_least(2)},
    Field{"share_embeddings", &TransformerConfig::share_embeddings, "--share-embeddings,!--no-share-embeddings",
          "one embedding matrix for source, target and output"},
    Field{"tie_output", &TransformerConfig::tie_output, "--tie-output,!--no-tie-output",
          "output projection shares the target embedding"},
    Field{"self_attention", &TransformerConfig::self_attention, "--self-attention",
          "attention variant for self-attention (qkv variants)"},
    Field{"cross_attention", &TransformerConfig::cross_attention, "--cross-attention",
          "attention variant for encoder-decoder attention"},
    Field{"self_attention_options", &TransformerConfig::self_attention_options, "--self-attention-options",
          "the self-attention variant's options, key=value,... (qkv variants lists them); key=v1,v2,... gives layer i "
          "the i-th value"},
    Field{"cross_attention_options", &TransformerConfig::cross_attention_options, "--cross-attention-options",
          "the cross-attention variant's options, as --self-attention-options"},
    Field{"activation", &TransformerConfig::activation, "--activation", "feed-forward activation"},
    Field{"dtype", &TransformerConfig::dtype, "", ""},
};

}  // namespace qkv::models
