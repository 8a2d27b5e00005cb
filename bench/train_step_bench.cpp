// train_step_bench.cpp — one full training step of qkv's seq2seq Transformer (forward,
// label-smoothed cross-entropy, backward, Adam; no clipping) on random full-length batches, at
// the sizes; the twin of bench/torch_train_step.py. Prints the parameter count, the
// median wall and CPU ms per step, target tokens per second and the process's peak RSS. RESULT
// lines are for scripts/bench_train.sh. It does not check anything: a benchmark, not a test.
//
//   build/train_step_bench small [steps]      # sizes: tiny, small, base; default 10 timed steps
//
// The model is TransformerConfig's defaults apart from the sizes: post-norm, sinusoidal
// positions, embeddings scaled by √D, output projection tied to the target embedding (with its
// own bias), dropout 0.1 (no attention-weight dropout). Two untimed warm-up steps come first.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/transformer.h"
#include "nn/functional.h"
#include "optim/adam.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "tensor/views.h"

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
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // all threads of the process
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "tiny";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 10;
  if (!kSizes.contains(name) || steps < 1) {
    fmt::print(stderr, "usage: train_step_bench [tiny|small|base] [steps >= 1]\n");
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
  Adam opt(model.parameters(), {.lr = 1e-4, .beta2 = 0.98, .eps = 1e-9});

  // Ids from 4 up: no pad, bos or eos inside, so every position is a real token.
  Generator data(1);
  const Tensor src = randint(4, s.vocab, Shape{s.batch, s.length}, data);      // (B, S)
  const Tensor tgt = randint(4, s.vocab, Shape{s.batch, s.length + 1}, data);  // (B, T+1)
  const Tensor tgt_in = raw::contiguous(raw::narrow(tgt, 1, 0, s.length));     // (B, T)
  const Tensor tgt_out = raw::contiguous(raw::narrow(tgt, 1, 1, s.length));    // (B, T)
  const Tensor src_padding = zeros(Shape{s.batch, s.length}, Dtype::bool_);    // (B, S), no pads

  std::vector<double> wall, cpu;
  double last_loss = 0;
  model.train();
  for (int i = 0; i < steps + 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const Tensor logits = model.forward(src, src_padding, tgt_in);  // (B, T, V)
    const Tensor loss = cross_entropy(logits, tgt_out, {.ignore_index = 0, .label_smoothing = 0.1});
    opt.zero_grad();
    loss.backward();
    opt.step();
    last_loss = loss.item();
    if (i >= 2) {
      wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      cpu.push_back(cpu_seconds() - cpu_start);
    }
  }
  const double ms = median(wall) * 1000, cpu_ms = median(cpu) * 1000;
  const double peak = peak_rss_mb();
  const int64_t params = model.parameter_count();
  fmt::print("qkv {}: {} parameters, {:.1f} ms/step ({:.1f} ms CPU), {:.0f} target tokens/s, peak RSS {:.0f} MB "
             "(loss {:.3f})\n",
             name, params, ms, cpu_ms, static_cast<double>(s.batch * s.length) / ms * 1000, peak, last_loss);
  fmt::print("RESULT ms {:.3f}\nRESULT cpu_ms {:.3f}\nRESULT peak_mb {:.1f}\nRESULT params {}\n", ms, cpu_ms, peak,
             params);
  return 0;
}
