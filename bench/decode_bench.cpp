// decode_bench.cpp — batched greedy decoding of 64 source sentences with qkv's incremental
// decoder (models/decoding.h: one new token per step, cached keys/values); the twin of
// bench/torch_decode_bench.py. Prints the median wall and CPU ms for the whole batch (encoder
// included) over several repeats. RESULT lines are for scripts/bench_decode.sh.
//
//   build/decode_bench [repeats] [steps] [fp32|bf16]   # default 5 timed repeats, 30 steps, fp32
//
// bf16 runs every large enough matrix product with bfloat16 operands and fp32 sums
// (tensor/precision.h), as `qkv translate --precision bf16` does.
//
// The model: d=256, 8 heads, 3+3 layers, FFN 512, source and target vocab 8000, random weights
// from seed 0 (TransformerConfig's defaults otherwise: post-norm, sinusoidal positions, tied
// output). The sources: 64 sentences of 10–20 random ids each, followed by eos and padded —
// drawn by the same tiny LCG as the PyTorch twin, so both sides decode the same shapes.
//
// Equal work on both sides: the decoder is told eos = -1, an id argmax can never return, so no
// sentence stops early and every one runs exactly `steps` steps on the full batch of 64 (the
// program checks that every output has `steps` tokens). The PyTorch twin runs the same number
// of steps with no eos check.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/seq2seq_train_step.h"
#include "models/decoding.h"
#include "models/transformer.h"
#include "tensor/factories.h"
#include "tensor/random.h"

using namespace qkv;

namespace {

constexpr int64_t kSentences = 64, kVocab = 8000, kMinLength = 10, kMaxLength = 20;
constexpr int64_t kBos = 2, kEos = 3, kPad = 0;

// The LCG both benchmarks share (Knuth's MMIX constants); value() is its top 31 bits.
struct Lcg {
  uint64_t state;
  uint64_t value() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  }
};

struct SourceBatch {
  Tensor source, padding;  // (B, S) int64 ids + eos then pad; (B, S) bool, true = pad
  int64_t tokens = 0;      // non-pad source tokens (eos included)
};

SourceBatch make_sources() {
  Lcg lcg{12345};
  std::vector<std::vector<int64_t>> sentences(kSentences);
  for (auto& s : sentences) {
    const auto length = kMinLength + static_cast<int64_t>(lcg.value() % (kMaxLength - kMinLength + 1));
    for (int64_t i = 0; i < length; ++i) s.push_back(4 + static_cast<int64_t>(lcg.value() % (kVocab - 4)));
  }
  int64_t S = 0;
  for (const auto& s : sentences) S = std::max<int64_t>(S, static_cast<int64_t>(s.size()) + 1);
  std::vector<int64_t> ids(static_cast<size_t>(kSentences * S), kPad);
  std::vector<bool> pad(static_cast<size_t>(kSentences * S), true);
  SourceBatch batch;
  for (int64_t b = 0; b < kSentences; ++b) {
    const auto& s = sentences[static_cast<size_t>(b)];
    const auto n = static_cast<int64_t>(s.size());
    for (int64_t i = 0; i <= n; ++i) {
      ids[static_cast<size_t>(b * S + i)] = i < n ? s[static_cast<size_t>(i)] : kEos;
      pad[static_cast<size_t>(b * S + i)] = false;
    }
    batch.tokens += n + 1;
  }
  batch.source = from_vector(ids, Shape{kSentences, S});   // (B, S)
  batch.padding = from_vector(pad, Shape{kSentences, S});  // (B, S)
  return batch;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::stoi(argv[1]) : 5;
  const int64_t steps = argc > 2 ? std::stoll(argv[2]) : 30;
  if (repeats < 1 || steps < 1 || !bench::set_precision_argument(argc, argv, 3)) {
    fmt::print(stderr, "usage: decode_bench [repeats >= 1] [steps >= 1] [fp32|bf16]\n");
    return 2;
  }
  models::TransformerConfig config;
  config.source_vocab = config.target_vocab = kVocab;
  config.d_model = 256;
  config.num_heads = 8;
  config.encoder_layers = 3;
  config.decoder_layers = 3;
  config.ffn_dim = 512;
  models::Transformer model(config);
  Generator init(0);
  model.reset_parameters(init);
  const SourceBatch src = make_sources();

  models::DecodeOptions options;
  options.max_length = steps;
  options.bos = kBos;
  options.eos = -1;  // never produced: every sentence decodes exactly `steps` tokens
  options.pad = kPad;

  std::vector<double> wall, cpu;
  int64_t generated = 0;
  for (int i = 0; i < repeats + 1; ++i) {  // one untimed warm-up
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = bench::cpu_seconds();
    const auto out = models::greedy_decode(model, src.source, src.padding, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_used = bench::cpu_seconds() - cpu_start;
    generated = 0;
    for (const auto& hyp : out) {
      if (static_cast<int64_t>(hyp.size()) != steps) {
        fmt::print(stderr, "decode_bench: a sentence decoded {} tokens, expected exactly {}\n", hyp.size(), steps);
        return 1;
      }
      generated += static_cast<int64_t>(hyp.size());
    }
    if (i > 0) {
      wall.push_back(seconds);
      cpu.push_back(cpu_used);
    }
  }
  const double ms = bench::median(wall) * 1000, cpu_ms = bench::median(cpu) * 1000;
  const double peak = bench::peak_rss_mb();
  fmt::print(
      "qkv greedy {}: {} sentences ({} source tokens, S = {}), {} steps, {} tokens generated; {} parameters; "
      "{:.1f} ms ({:.1f} ms CPU), {:.0f} tokens/s, peak RSS {:.0f} MB\n",
      enum_name(matmul_precision()), kSentences, src.tokens, src.source.size(1), steps, generated,
      model.parameter_count(), ms, cpu_ms, static_cast<double>(generated) / ms * 1000, peak);
  fmt::print("RESULT ms {:.3f}\nRESULT cpu_ms {:.3f}\nRESULT peak_mb {:.1f}\nRESULT params {}\nRESULT generated {}\n",
             ms, cpu_ms, peak, model.parameter_count(), generated);
  return 0;
}
