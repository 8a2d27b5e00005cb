// rnn_train_step_bench.cpp — one full training step of qkv's recurrent encoder–decoder with
// attention (forward, label-smoothed cross-entropy, backward, Adam; no clipping) on random
// full-length batches; the twin of bench/torch_rnn_train_step.py. Prints the parameter count,
// the median wall and CPU ms per step, target tokens per second and the process's peak RSS
// (bench/seq2seq_train_step.h). RESULT lines are for scripts/bench_rnn_train.sh. A benchmark,
// not a test: it checks nothing.
//
//   build/rnn_train_step_bench recipe [steps] [fp32|bf16]   # sizes: tiny, recipe; default 10
//                                                           # timed steps; bf16: bf16 products
//
// "recipe" is the bundled RNN recipe (RnnSeq2SeqConfig's defaults: E 256, bidirectional GRU of
// 256 per direction, GRU decoder of 512, additive attention, dropout 0.3, tied output) at
// Multi30k's scale: vocabularies of 8000, 128 sentences of 16 tokens (2,048 target tokens, as
// qkv train's --max-tokens). Two untimed warm-up steps come first.
#include <map>
#include <string>

#include <fmt/format.h>

#include "bench/seq2seq_train_step.h"
#include "models/rnn_seq2seq.h"

using namespace qkv;

namespace {

struct Size {
  int64_t embedding, encoder_hidden, decoder_hidden, batch, length, vocab;
};

const std::map<std::string, Size> kSizes = {
    //           E    He   Hd   batch len vocab
    {"tiny", {32, 32, 64, 32, 16, 1000}},
    {"recipe", {256, 256, 512, 128, 16, 8000}},
};

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "tiny";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 10;
  if (!kSizes.contains(name) || steps < 1 || !bench::set_precision_argument(argc, argv, 3)) {
    fmt::print(stderr, "usage: rnn_train_step_bench [tiny|recipe] [steps >= 1] [fp32|bf16]\n");
    return 2;
  }
  const Size s = kSizes.at(name);
  models::RnnSeq2SeqConfig config;  // the recipe's choices: GRU, bidirectional, additive, dropout 0.3, tied
  config.source_vocab = config.target_vocab = s.vocab;
  config.embedding_dim = s.embedding;
  config.encoder_hidden = s.encoder_hidden;
  config.decoder_hidden = s.decoder_hidden;
  models::RnnSeq2Seq model(config);
  Generator init(0);
  model.reset_parameters(init);
  bench::time_training_steps(model, fmt::format("qkv rnn {} {}", name, enum_name(matmul_precision())), s.batch,
                             s.length, s.vocab, steps);
  return 0;
}
