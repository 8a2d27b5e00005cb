// attention_bench.cpp — forward + backward of one whole MultiHeadAttention layer (d = 256,
// 8 heads, the default scaled_dot variant, causal AttentionMask, float32) at one sequence
// length, for scripts/bench_attention.sh, which compares it with torch.nn.MultiheadAttention
// (bench/torch_attention_bench.py) and runs every length in its own process so peak memory is
// per length.
//
//   attention_bench T [repeats] [--composed] [--unpacked] [--batch B]
//
// --composed forces the composed path (matmul → scale → masked_fill → softmax → matmul) instead
// of the fused flash-attention kernel, for comparison; --unpacked keeps the fused kernel but
// runs the q, k and v projections as three products instead of one packed one. Prints one line:
//   RESULT qkv <T> <median wall ms> <median cpu ms> <peak RSS MB> <baseline RSS MB>
// Peak RSS is getrusage's ru_maxrss for the whole process; the baseline is taken at the start
// of main, before the layer and its input are built (as the torch script takes it right after
// its imports); the script reports the difference.
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/timing.h"
#include "nn/attention/multi_head_attention.h"
#include "qkv.h"

using namespace qkv;
using namespace qkv::bench;

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} T [repeats] [--composed] [--unpacked] [--batch B]\n", argv[0]);
    return 2;
  }
  const int64_t T = std::atoll(argv[1]);
  int repeats = T >= 4096 ? 3 : T >= 1024 ? 5 : T >= 256 ? 15 : 40;
  bool composed = false, unpacked = false;
  int64_t batch = 8;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--composed") {
      composed = true;
    } else if (arg == "--unpacked") {  // three q/k/v projections instead of one packed product
      unpacked = true;
    } else if (arg == "--batch" && i + 1 < argc) {
      batch = std::atoll(argv[++i]);
    } else {
      repeats = std::atoi(argv[i]);
    }
  }
  constexpr int64_t E = 256, H = 8;
  const double baseline = peak_rss_mb();

  MultiHeadAttentionConfig config;
  config.embed_dim = E;
  config.num_heads = H;
  if (composed) config.options["fused"] = 0;
  if (unpacked) config.options["packed"] = 0;
  MultiHeadAttention mha(config);
  Generator gen(0);
  mha.reset_parameters(gen);
  mha.eval();  // no dropout either way (torch's layer has dropout 0)
  Tensor x = randn({batch, T, E}, gen).requires_grad_();
  const AttentionMask mask = AttentionMask::causal();

  auto step = [&] {
    const Tensor out = mha.forward(x, x, x, mask, false).out;  // (B, T, E)
    sum(out).backward();
  };
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
  fmt::print("RESULT qkv {} {:.3f} {:.3f} {:.1f} {:.1f}\n", T, median(walls), median(cpus), peak_rss_mb(), baseline);
  return 0;
}
