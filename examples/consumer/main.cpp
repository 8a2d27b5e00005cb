// main.cpp — a program built against an installed qkv (find_package(qkv), see CMakeLists.txt):
//
//   consumer                              # attention with this program's own variant
//   consumer CHECKPOINT ["SENTENCE"]      # also load a model trained by `qkv train`, translate
//
// It checks what it computes and exits 1 if something is wrong: its own variant ("softcap",
// softcap_attention.cpp) is registered beside the built-ins, a MultiHeadAttention with it (and
// with a built-in normaliser) gives weights that sum to 1 and gradients that flow back, and a
// checkpoint loads into a ready model that translates.
#include <algorithm>
#include <cmath>
#include <string>

#include "qkv.h"

using namespace qkv;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    fmt::print(stderr, "consumer: FAILED: {}\n", what);
    ++failures;
  }
}

void run_attention(const std::string& name) {
  MultiHeadAttentionConfig config;
  config.embed_dim = 16;
  config.num_heads = 4;
  config.attention = name;
  MultiHeadAttention mha(config);
  Generator gen(1);
  mha.reset_parameters(gen);
  const Tensor x = randn({2, 5, 16}, gen).requires_grad_();  // (B, T, E)
  const AttentionResult r = mha.forward(x, x, x, AttentionMask::causal(), /*need_weights=*/true);
  double worst = 0;
  for (float s : to_vector<float>(sum(r.weights, {-1}))) worst = std::max(worst, std::abs(s - 1.0));  // (B, H, T)
  sum(r.out).backward();
  const double grad_norm = std::sqrt(sum(x.grad() * x.grad()).item());
  fmt::print("{:<18} out {}  weights {}  max |row sum - 1| {:.1e}  |dx| {:.3f}\n", name, r.out.shape(),
             r.weights.shape(), worst, grad_norm);
  expect(r.out.shape() == x.shape(), name + ": output shape");
  expect(worst < 1e-5, name + ": attention weights sum to 1 over the allowed keys");
  expect(std::isfinite(grad_norm) && grad_norm > 0, name + ": gradients reach the input");
}

}  // namespace

int main(int argc, char** argv) {
  fmt::print("qkv {} (compiled for: {})\n", QKV_VERSION, QKV_ARCH_FLAGS[0] ? QKV_ARCH_FLAGS : "any CPU");
  bool found = false;
  for (const RegistryEntry& v : attention_variants()) found = found || v.name == "softcap";
  expect(found, "the program's own variant 'softcap' is registered");
  expect(attention_variants().size() > 1, "the built-in variants are registered too");
  run_attention("softcap");
  run_attention("softcap+sparsemax");  // this program's scores, a built-in normaliser
  run_attention("scaled_dot");         // a built-in variant

  if (argc > 1) {
    const std::string sentence = argc > 2 ? argv[2] : "a dog runs on the beach .";
    train::LoadedModel model = train::load_model(argv[1]);
    const std::vector<std::string> out = model.translate({sentence});
    fmt::print("{} ({} parameters)\n  {}\n  → {}\n", argv[1], model.model->parameter_count(), sentence, out.at(0));
    expect(out.size() == 1, "one translation per input line");
  }
  fmt::print("{}\n", failures == 0 ? "consumer: ok" : "consumer: FAILED");
  return failures == 0 ? 0 : 1;
}
