// seq2seq_parity.cpp — the C++ half of the PyTorch parity tests of the translation models:
// transformer_parity.py (against torch.nn.Transformer) and rnn_seq2seq_parity.py (against the
// PyTorch twin of the RNN, tests/models/torch_rnn_seq2seq.py) drive it:
//
//   seq2seq_parity <in.safetensors> <out.safetensors>
//
// The input file holds the model's config as metadata (TransformerConfig::to_metadata keys, or
// RnnSeq2SeqConfig's plus "arch" = "rnn"), every qkv parameter under its qkv name, and src,
// src_padding, tgt_in, tgt_out. The program builds the model, copies the weights in, computes
// logits and the mean cross entropy (ignore_index 0), runs backward, and writes "logits", "loss"
// and "grad.<name>" for every parameter. Exits non-zero with a message if a parameter is
// missing, unexpected or misshapen. Not a Catch2 test: a program, so that a separate process
// (Python with torch) writes and reads the files.
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <set>

#include "io/safetensors.h"
#include "models/rnn_seq2seq.h"
#include "models/transformer.h"
#include "nn/functional.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::models;

namespace {

int run(const std::string& in_path, const std::string& out_path) {
  const Checkpoint ck = load_safetensors(in_path);
  std::map<std::string, std::string> config = ck.metadata;
  const auto arch = config.find("arch");
  const bool rnn = arch != config.end() && arch->second == "rnn";
  if (arch != config.end()) config.erase(arch);
  std::unique_ptr<Seq2Seq> built;
  if (rnn) {
    built = std::make_unique<RnnSeq2Seq>(RnnSeq2SeqConfig::from_metadata(config));
  } else {
    built = std::make_unique<Transformer>(TransformerConfig::from_metadata(config));
  }
  Seq2Seq& model = *built;
  std::set<std::string> inputs = {"src", "src_padding", "tgt_in", "tgt_out"};
  std::set<std::string> unused;
  for (const auto& [name, t] : ck.tensors) {
    if (!inputs.count(name)) unused.insert(name);
  }
  for (auto& [name, p] : model.named_parameters()) {
    check(ck.contains(name), "seq2seq_parity: the file has no weight for parameter {}", name);
    const Tensor& w = ck.at(name);
    check(w.shape() == p.shape() && w.dtype() == p.dtype(), "seq2seq_parity: {} is {} {} in the file, {} {} in qkv",
          name, w.shape(), dtype_name(w.dtype()), p.shape(), dtype_name(p.dtype()));
    raw::copy_(p, w);
    unused.erase(name);
  }
  check(unused.empty(), "seq2seq_parity: the file has {} tensors qkv has no parameter for, e.g. {}", unused.size(),
        unused.empty() ? "" : *unused.begin());
  const Tensor logits = model.forward(ck.at("src"), ck.at("src_padding"), ck.at("tgt_in"));  // (B, T, V)
  const Tensor loss = cross_entropy(logits, ck.at("tgt_out"), {.ignore_index = 0});
  loss.backward();
  NamedTensors out = {{"logits", logits.detach()}, {"loss", loss.detach()}};
  for (auto& [name, p] : model.named_parameters()) {
    check(p.grad().defined(), "seq2seq_parity: parameter {} got no gradient", name);
    out.emplace_back("grad." + name, p.grad());
  }
  save_safetensors(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: seq2seq_parity <in.safetensors> <out.safetensors>\n");
    return 2;
  }
  try {
    return run(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
