// attention_options.h — a Transformer's attention variant options, as the command line, config.toml
// and checkpoint metadata write them, and per layer:
//
//   AttentionOptions o = AttentionOptions::parse("window=8,stride=4");   // every layer: window 8, stride 4
//   AttentionOptions m = AttentionOptions::parse("kernel=3,5,7");        // layer i: the i-th kernel size
//   m.for_layer(1, 3, "encoder")                                         // {"kernel": 5}
//   m.text()                                                             // "kernel=3,5,7", what parse reads
//
// A value after a comma without "key=" continues the previous key's list. A key with one value
// applies to every layer; a key with a list needs one value per layer of the stack (for_layer
// throws otherwise). What it does not do: know which keys a variant takes — make_attention and
// check_attention_options (nn/attention/variant.h) check the options of each layer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::models {

struct AttentionOptions {
  std::map<std::string, std::vector<double>> values;  // key → one value, or one per layer

  // Throws qkv::Error naming the text and the piece it cannot read: a value without a key, a key
  // without a value, a key given twice, a value that is not a finite number.
  static AttentionOptions parse(const std::string& text);
  // Keys in order, shortest exact numbers: parse(o.text()) == o.
  std::string text() const;
  bool empty() const { return values.empty(); }
  // The options of layer `layer` of a stack of `layers` (named `stack` in the error).
  std::map<std::string, double> for_layer(int64_t layer, int64_t layers, std::string_view stack) const;

  bool operator==(const AttentionOptions&) const = default;
};

}  // namespace qkv::models
