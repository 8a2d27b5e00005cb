// variants_bench.cpp — every registered attention variant, and every normaliser on scaled
// dot-product scores, timed the same way: forward + backward of one MultiHeadAttention layer
// (d = 256, 8 heads, batch 8, causal mask, float32) at each sequence length given. Prints one
// markdown table: median ms per step, and each row's time over the default's (scaled_dot, which
// runs the fused kernel; "scaled_dot (composed)" is the same variant through the composed ops).
// A variant is listed the moment it registers: nothing here names one.
//
//   build/variants_bench [T ...] [--repeats N]     # default: T = 64 256; repeats by length
//   scripts/bench_variants.sh                      # builds Release, prints the OpenBLAS kernels
//
// A variant that fails at a shape (too much memory, say) gets its error in the table instead
// of a time. Memory is not measured: every row runs in this one process.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/timing.h"
#include "nn/attention/multi_head_attention.h"
#include "qkv.h"

using namespace qkv;
using namespace qkv::bench;

namespace {

constexpr int64_t kEmbed = 256, kHeads = 8, kBatch = 8;

struct Row {
  std::string label;      // as printed
  std::string attention;  // MultiHeadAttentionConfig::attention
  std::map<std::string, double> options;
};

// Every variant, then scaled_dot composed, then scaled_dot with every other normaliser.
std::vector<Row> rows_to_time() {
  std::vector<Row> rows;
  for (const RegistryEntry& v : attention_variants()) rows.push_back({v.name, v.name, {}});
  rows.push_back({"scaled_dot (composed)", "scaled_dot", {{"fused", 0}}});
  for (const RegistryEntry& n : normalisers()) {
    if (n.name != "softmax") rows.push_back({"scaled_dot+" + n.name, "scaled_dot+" + n.name, {}});
  }
  return rows;
}

// Median ms of forward + backward over `repeats` steps after one warm-up step.
double time_step(const Row& row, int64_t T, int repeats) {
  MultiHeadAttentionConfig config;
  config.embed_dim = kEmbed;
  config.num_heads = kHeads;
  config.attention = row.attention;
  config.options = row.options;
  MultiHeadAttention mha(config);
  Generator gen(0);
  mha.reset_parameters(gen);
  mha.eval();
  Tensor x = randn({kBatch, T, kEmbed}, gen).requires_grad_();
  const AttentionMask mask = AttentionMask::causal();
  auto step = [&] {
    mha.zero_grad();
    x.zero_grad();
    sum(mha.forward(x, x, x, mask, false).out).backward();
  };
  step();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = wall_ms();
    step();
    times.push_back(wall_ms() - t0);
  }
  return median(times);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> lengths;
  int repeats = 0;  // 0: by length
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else if (const int64_t T = std::atoll(arg.c_str()); T > 0) {
      lengths.push_back(T);
    } else {
      fmt::print(stderr, "usage: {} [T ...] [--repeats N]\n", argv[0]);
      return 2;
    }
  }
  if (lengths.empty()) lengths = {64, 256};

  const std::vector<Row> rows = rows_to_time();
  // times[row][length]: ms, or negative when the row failed (its error in errors).
  std::vector<std::vector<double>> times(rows.size(), std::vector<double>(lengths.size(), -1));
  std::map<std::pair<size_t, size_t>, std::string> errors;
  for (size_t l = 0; l < lengths.size(); ++l) {
    const int n = repeats > 0 ? repeats : lengths[l] <= 64 ? 20 : lengths[l] <= 256 ? 7 : 3;
    for (size_t r = 0; r < rows.size(); ++r) {
      try {
        times[r][l] = time_step(rows[r], lengths[l], n);
        fmt::print(stderr, "T={} {}: {:.2f} ms\n", lengths[l], rows[r].label, times[r][l]);
      } catch (const std::exception& e) {
        errors[{r, l}] = e.what();
        fmt::print(stderr, "T={} {}: failed: {}\n", lengths[l], rows[r].label, e.what());
      }
    }
  }

  fmt::print(
      "forward + backward of MultiHeadAttention (d {}, {} heads, batch {}, causal, float32), median ms per step; "
      "x = the row's time over scaled_dot's (the fused kernel)\n\n",
      kEmbed, kHeads, kBatch);
  std::string header = "| variant |", rule = "| --- |";
  for (int64_t T : lengths) {
    header += fmt::format(" T={} ms | x |", T);
    rule += " ---: | ---: |";
  }
  fmt::print("{}\n{}\n", header, rule);
  size_t scaled_dot = 0;  // the row the ratios are over
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].label == "scaled_dot") scaled_dot = r;
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line = "| " + rows[r].label + " |";
    for (size_t l = 0; l < lengths.size(); ++l) {
      if (times[r][l] < 0) {
        std::string why = errors[{r, l}].substr(0, 80);
        std::replace(why.begin(), why.end(), '|', '/');
        line += fmt::format(" failed: {} | - |", why);
      } else if (times[scaled_dot][l] > 0) {
        line += fmt::format(" {:.2f} | {:.2f} |", times[r][l], times[r][l] / times[scaled_dot][l]);
      } else {
        line += fmt::format(" {:.2f} | - |", times[r][l]);
      }
    }
    fmt::print("{}\n", line);
  }
  return errors.empty() ? 0 : 1;
}
