// transformer_config.h — every size and choice of a seq2seq Transformer, in one struct that
// round-trips through checkpoint metadata (string → string) and validates itself.
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
  std::string activation = "relu";  // relu, gelu, tanh or sigmoid
  Dtype dtype = Dtype::float32;     // of every parameter (float64 for gradchecks and parity)

  // Every field above under its own name; numbers in full precision, bools as "true"/"false".
  std::map<std::string, std::string> to_metadata() const;
  // The inverse; throws qkv::Error naming a missing or unparsable key, then validates.
  static TransformerConfig from_metadata(const std::map<std::string, std::string>& metadata);
  // Throws qkv::Error naming the first bad field: sizes, d_model % num_heads, vocab sizes,
  // share_embeddings with unequal vocabs, unknown attention variant/normaliser or activation.
  void validate() const;
};

}  // namespace qkv::models
