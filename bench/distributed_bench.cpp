// distributed_bench.cpp — data-parallel training's costs on this machine: the all-reduce of a
// whole gradient (achieved bandwidth over the loopback), and the training step on each rank's
// share of one global batch with gradient buckets started during backward (1 MB) against one
// sum after backward (the baseline without overlap), interleaved step by step; in one process
// also the plain step without buckets, which is what the trainer runs there. It checks
// nothing: a benchmark.
//
//   mpirun -np 2 build/distributed_bench recipe [steps]    # 2 ranks × (cores / 2) threads
//   build/distributed_bench recipe [steps]                 # 1 process, all cores: the reference
//
// Sizes: recipe = examples/multi30k_d128.toml's Transformer (d 128, 4 heads, 4+4, FFN 256) with
// 8000-word vocabularies and its 2048-token global batch (64 × 32); base = train_step_bench's
// base (d 512, 8 heads, 6+6, FFN 2048, vocab 8000, 16 × 32). Random ids, dropout 0.1, Adam.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/seq2seq_train_step.h"
#include "models/transformer.h"
#include "tensor/parallel.h"
#include "train/distributed.h"
#include "train/gradient_buckets.h"
#include "train/train_step.h"

using namespace qkv;

namespace {

struct Size {
  int64_t d, heads, enc, dec, ffn, batch, length, vocab;
};
const std::map<std::string, Size> kSizes = {
    {"recipe", {128, 4, 4, 4, 256, 64, 32, 8000}},
    {"base", {512, 8, 6, 6, 2048, 16, 32, 8000}},
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Median ms per step of each way of summing the gradient, the ways interleaved step by step so
// that drift (clock, caches, the heap) falls on all of them alike; the first round is a warm-up.
// Ways: 1 MB buckets during backward; one bucket summed after backward; and, in one process, the
// plain step without buckets (what the trainer runs in one process).
struct StepTimes {
  double overlapped = 0, after = 0, plain = 0;
};

StepTimes time_steps(models::Transformer& model, const data::EncodedCorpus& corpus, int steps) {
  train::Distributed& d = train::distributed();
  Adam opt(model.parameters(), {.lr = 1e-4, .beta2 = 0.98, .eps = 1e-9});
  train::GradientBuckets during(model.parameters(), d, int64_t{1} << 20), after(model.parameters(), d, 0);
  std::vector<int64_t> all(corpus.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  data::PairLengths lengths;
  for (size_t i = 0; i < corpus.size(); ++i) lengths.push_back(corpus.source_length(i), corpus.target_length(i));
  // Every rank has the whole (random) corpus here, so no ids are fetched from other ranks.
  train::Shard shard = train::shard_of(lengths, all, d.rank(), d.size());
  if (!shard.indices.empty()) shard.batch = data::make_batch(corpus, shard.indices);
  const data::Batch whole = data::make_batch(corpus, all);
  const train::StepOptions options{.lr = 1e-4, .clip_norm = 0};
  std::vector<double> ms_during, ms_after, ms_plain;
  const auto timed = [&](auto&& step, std::vector<double>& ms, bool keep) {
    double go[1] = {0};
    d.sum(go);  // start together
    const auto start = std::chrono::steady_clock::now();
    step();
    if (keep) ms.push_back(seconds_since(start) * 1000);
  };
  for (int i = 0; i < steps + 1; ++i) {
    timed([&] { train::train_step(model, opt, shard, during, d, options); }, ms_during, i > 0);
    timed([&] { train::train_step(model, opt, shard, after, d, options); }, ms_after, i > 0);
    if (d.size() == 1) timed([&] { train::train_step(model, opt, whole, options); }, ms_plain, i > 0);
  }
  return {bench::median(ms_during), bench::median(ms_after), d.size() == 1 ? bench::median(ms_plain) : 0};
}

}  // namespace

int main(int argc, char** argv) {
  const train::DistributedSession session(argc, argv);
  train::Distributed& d = train::distributed();
  const std::string name = argc > 1 ? argv[1] : "recipe";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 10;
  if (!kSizes.contains(name) || steps < 1) {
    fmt::print(stderr, "usage: [mpirun -np N] distributed_bench [recipe|base] [steps >= 1]\n");
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
  const int64_t params = model.parameter_count();

  // The all-reduce alone: the whole gradient as one float32 buffer, 10 times.
  std::vector<float> gradient(static_cast<size_t>(params), 1.0f);
  std::vector<double> sums;
  for (int i = 0; i < 11; ++i) {
    const auto start = std::chrono::steady_clock::now();
    d.start_sum(gradient.data(), params, Dtype::float32);
    d.wait_all();
    if (i > 0) sums.push_back(seconds_since(start));
  }
  const double t = bench::median(sums), bytes = 4.0 * static_cast<double>(params);
  const double bus = d.size() > 1 ? 2.0 * (d.size() - 1) / d.size() * bytes / t : 0;

  // The step on each rank's share of one global batch.
  Generator gen(1);
  data::EncodedCorpus corpus(s.vocab, s.vocab);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::vector<int64_t> src(static_cast<size_t>(s.length - 1)), tgt(static_cast<size_t>(s.length - 1));
    for (auto& id : src) id = 4 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(s.vocab - 4)));
    for (auto& id : tgt) id = 4 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(s.vocab - 4)));
    corpus.add(src, tgt);
  }
  const StepTimes step = time_steps(model, corpus, steps);
  if (d.is_root()) {
    fmt::print("{}: {} parameters ({:.1f} MB of float32 gradient), {} rank(s) × {} thread(s), global batch {} × {}\n",
               name, params, bytes / 1e6, d.size(), num_threads(), s.batch, s.length);
    if (d.size() > 1) {  // bus bandwidth: what each link carries in a ring, 2(N-1)/N of the bytes
      fmt::print("  all-reduce of the gradient: {:.2f} ms median, {:.2f} GB/s algorithm, {:.2f} GB/s bus\n", t * 1000,
                 bytes / t / 1e9, bus / 1e9);
    }
    fmt::print(
        "  step (median of {}, interleaved): {:.1f} ms with 1 MB buckets during backward, {:.1f} ms with one sum "
        "after backward",
        steps, step.overlapped, step.after);
    if (d.size() == 1) fmt::print(", {:.1f} ms without buckets (the one-process trainer's step)", step.plain);
    fmt::print("\n");
  }
  return 0;
}
