// mha_vs_torch_bench.cpp — qkv's MultiHeadAttention at the shape of the "why does my attention
// lose?" programs (d 128, 4 heads, float32; a Multi30k-sized batch of B sentences padded to T,
// causal + key padding: the decoder's self-attention), for scripts/bench_mha_vs_torch.sh, which
// times torch.nn.MultiheadAttention on the same shapes (bench/torch_mha_vs_qkv.py). That the two
// compute the same values on the same weights is tests/parity/mha_parity.py's job (the script
// runs it first); this program only times.
//
//   mha_vs_torch_bench [--batch B] [--length T] [--repeats N]
//
// Prints two lines, one per case ("train": forward + backward; "eval": forward without
// gradients):
//   RESULT qkv <case> <median wall ms> <median cpu ms>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/timing.h"
#include "qkv.h"

using namespace qkv;
using namespace qkv::bench;

int main(int argc, char** argv) {
  int64_t batch = 64, length = 24;
  int repeats = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch")
      batch = std::atoll(argv[i + 1]);
    else if (flag == "--length")
      length = std::atoll(argv[i + 1]);
    else if (flag == "--repeats")
      repeats = std::atoi(argv[i + 1]);
    else {
      fmt::print(stderr, "usage: {} [--batch B] [--length T] [--repeats N]\n", argv[0]);
      return 2;
    }
  }
  constexpr int64_t E = 128, H = 4;
  MultiHeadAttentionConfig config;
  config.embed_dim = E;
  config.num_heads = H;
  MultiHeadAttention mha(config);
  Generator gen(0);
  mha.reset_parameters(gen);
  mha.eval();                                                  // dropout 0 either way
  Tensor x = randn({batch, length, E}, gen).requires_grad_();  // (B, T, E)
  // Row b has b % 8 padding positions at the end (the same rule as the torch script).
  std::vector<bool> pad(batch * length, false);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = length - b % 8; t < length; ++t) pad[b * length + t] = true;
  const AttentionMask mask =
      AttentionMask::causal() & AttentionMask::key_padding(from_vector<bool>(pad, {batch, length}));

  const auto time = [&](const char* name, auto&& step) {
    step();  // warm-up (also starts the thread pool)
    std::vector<double> walls, cpus;
    for (int r = 0; r < repeats; ++r) {
      mha.zero_grad();
      x.zero_grad();
      const double w0 = wall_ms(), c0 = cpu_ms();
      step();
      walls.push_back(wall_ms() - w0);
      cpus.push_back(cpu_ms() - c0);
    }
    fmt::print("RESULT qkv {} {:.3f} {:.3f}\n", name, median(walls), median(cpus));
  };
  time("train", [&] { sum(mha.forward(x, x, x, mask).out).backward(); });
  time("eval", [&] {
    NoGradGuard no_grad;
    (void)mha.forward(x, x, x, mask).out;
  });
  return 0;
}
