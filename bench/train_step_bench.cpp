// train_step_bench.cpp — one full training step of qkv's seq2seq Transformer (forward,
// label-smoothed cross-entropy, backward, Adam; no clipping) on random full-length batches, at
// the sizes; the twin of bench/torch_train_step.py. Prints the parameter count, the
// median wall and CPU ms per step, target tokens per second and the process's peak RSS. RESULT
// lines are for scripts/bench_train.sh. It does not check anything: a benchmark, not a test.
//
//   build/train_step_bench small [steps] [fp32|bf16] [unfused]
//     sizes: tiny, small, base, recipe (qkv train's Transformer, 2,048-token batches, the
//     Multi30k joint vocabulary) and recipe8k (8,192 tokens); default 10 timed steps; bf16: bf16
//     matrix products; unfused: the loss as logits then cross_entropy, instead of the trainer's
//     linear_cross_entropy
//
// The model is TransformerConfig's defaults apart from the sizes: post-norm, sinusoidal
// positions, embeddings scaled by √D, output projection tied to the target embedding (with its
// own bias), dropout 0.1 (no attention-weight dropout). Two untimed warm-up steps come first.
#include <map>
#include <string>

#include <fmt/format.h>

#include "bench/seq2seq_train_step.h"
#include "models/transformer.h"

using namespace qkv;

namespace {

struct Size {
  int64_t d, heads, enc, dec, ffn, batch, length, vocab;
};

const std::map<std::string, Size> kSizes = {
    //         d    heads enc dec ffn   batch len vocab
    {"tiny", {64, 4, 2, 2, 256, 32, 16, 1000}},
    {"small", {256, 8, 3, 3, 1024, 64, 24, 8000}},
    {"base", {512, 8, 6, 6, 2048, 16, 32, 8000}},
    {"recipe", {128, 4, 4, 4, 256, 128, 16, 9435}},    // qkv train's recipe at Multi30k's vocabulary
    {"recipe8k", {128, 4, 4, 4, 256, 512, 16, 9435}},  // the same with Wu et al.'s 8,192-token batches
};

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "tiny";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 10;
  const std::string loss = argc > 4 ? argv[4] : "fused";
  if (!kSizes.contains(name) || steps < 1 || !bench::set_precision_argument(argc, argv, 3) ||
      (loss != "fused" && loss != "unfused")) {
    fmt::print(stderr,
               "usage: train_step_bench [tiny|small|base|recipe|recipe8k] [steps >= 1] [fp32|bf16] [fused|unfused]\n");
    return 2;
  }
  const Size s = kSizes.at(name);
  models::TransformerConfig config;
  config.source_vocab = config.target_vocab = s.vocab;
  config.d_model = s.d;
  config.num_heads = s.heads;
  config.encoder_layers = s.enc;
  config.decoder_layers = s.dec;
  config.ffn_dim = s.ffn;
  config.dropout = 0.1;
  models::Transformer model(config);
  Generator init(0);
  model.reset_parameters(init);
  bench::time_training_steps(model, fmt::format("qkv {} {} {} loss", name, enum_name(matmul_precision()), loss),
                             s.batch, s.length, s.vocab, steps, loss == "fused");
  return 0;
}
