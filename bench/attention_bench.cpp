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
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nn/attention/multi_head_attention.h"
#include "qkv.h"

using namespace qkv;

namespace {

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of all the process's threads, in ms.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// Peak resident set size of the process so far, in MB (Linux reports ru_maxrss in KiB).
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

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
