// attention_heatmaps.cpp — what causal self-attention weights look like: two randomly
// initialised MultiHeadAttention layers (d = 16, 4 heads, float64), stacked, run over a short
// labelled sentence with a causal mask; the per-layer, per-head weights are drawn as one grid of
// heatmaps (viz/attention_maps.h) with the tokens on both axes.
//
//   attention_heatmaps [--out-dir DIR]        writes DIR/attention_heatmaps.svg (default: .)
//
// It checks itself and exits non-zero unless every masked cell (a key after its query) is
// exactly zero and every row of weights sums to 1. The embeddings are random, so the pictures
// show structure only from the mask and position-free random projections: this is an
// illustration of the plumbing, not of a trained model.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "qkv.h"
#include "tensor/views.h"
#include "viz/attention_maps.h"

using namespace qkv;

namespace {

constexpr int64_t kEmbed = 16;
constexpr int64_t kHeads = 4;
constexpr int kLayers = 2;

// Problems found in weights (H, T, T): nonzero masked cells, rows not summing to 1.
int count_problems(const Tensor& weights, int layer) {
  const int64_t H = weights.size(0), T = weights.size(1);
  const std::vector<double> w = to_vector<double>(weights);
  int problems = 0;
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t i = 0; i < T; ++i) {
      double row = 0;
      for (int64_t j = 0; j < T; ++j) {
        const double v = w[static_cast<size_t>((h * T + i) * T + j)];
        row += v;
        if (j > i && v != 0.0) {
          std::fprintf(stderr, "layer %d head %lld: query %lld attends to future key %lld with weight %g\n", layer,
                       static_cast<long long>(h), static_cast<long long>(i), static_cast<long long>(j), v);
          ++problems;
        }
      }
      if (std::fabs(row - 1.0) > 1e-12) {
        std::fprintf(stderr, "layer %d head %lld: row %lld sums to %.17g\n", layer, static_cast<long long>(h),
                     static_cast<long long>(i), row);
        ++problems;
      }
    }
  }
  return problems;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = ".";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out-dir" && i + 1 < argc) {
      out_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: attention_heatmaps [--out-dir DIR]\n");
      return 2;
    }
  }
  const std::vector<std::string> tokens{"<bos>", "the", "cat", "sat", "on", "the", "mat", "<eos>"};
  const auto T = static_cast<int64_t>(tokens.size());

  Generator gen(2024);
  Tensor x = randn({1, T, kEmbed}, gen, Dtype::float64);  // (1, T, E): one random vector per token
  const AttentionMask mask = AttentionMask::causal();
  std::vector<Tensor> maps;  // per layer: (H, T, T)
  int problems = 0;
  NoGradGuard no_grad;
  for (int layer = 0; layer < kLayers; ++layer) {
    MultiHeadAttentionConfig config;
    config.embed_dim = kEmbed;
    config.num_heads = kHeads;
    config.dtype = Dtype::float64;
    MultiHeadAttention mha(config);
    mha.reset_parameters(gen);
    mha.eval();
    const AttentionResult r = mha.forward(x, x, x, mask, /*need_weights=*/true);
    maps.push_back(raw::select(r.weights, 0, 0));  // (H, T, T) of the one sentence
    problems += count_problems(maps.back(), layer);
    x = x + r.out;  // a residual connection, so layer 2 sees mixed tokens
  }

  std::filesystem::create_directories(out_dir);
  const std::string path = (std::filesystem::path(out_dir) / "attention_heatmaps.svg").string();
  viz::save_heatmaps(path, viz::attention_figure("causal self-attention, random weights", maps, tokens, tokens));
  std::printf("%d layers x %lld heads over %lld tokens: wrote %s\n", kLayers, static_cast<long long>(kHeads),
              static_cast<long long>(T), path.c_str());
  std::printf("masked cells exactly zero and rows summing to 1: %s\n", problems == 0 ? "yes" : "NO");
  return problems == 0 ? 0 : 1;
}
