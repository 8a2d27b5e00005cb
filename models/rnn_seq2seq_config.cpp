// rnn_seq2seq_config.cpp — RnnSeq2SeqConfig's metadata round trip and validation, from its field list.
#include "models/rnn_seq2seq_config.h"

#include "nn/attention/variant.h"
#include "tensor/error.h"

namespace qkv::models {

std::map<std::string, std::string> RnnSeq2SeqConfig::to_metadata() const {
  std::map<std::string, std::string> out;
  write_fields(rnn_seq2seq_config_fields, *this, DoubleText::shortest, out);
  return out;
}

RnnSeq2SeqConfig RnnSeq2SeqConfig::from_metadata(const std::map<std::string, std::string>& m) {
  RnnSeq2SeqConfig c;
  read_fields(rnn_seq2seq_config_fields, MetadataReader("RnnSeq2SeqConfig::from_metadata", m), c);
  c.validate();
  return c;
}

void RnnSeq2SeqConfig::validate() const {
  check_ranges(rnn_seq2seq_config_fields, *this, "RnnSeq2SeqConfig");
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
