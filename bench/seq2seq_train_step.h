// seq2seq_train_step.h — what the training-step benchmarks (train_step_bench.cpp for the
// Transformer, rnn_train_step_bench.cpp for the RNN) share: a random full-length batch, the step
// itself (forward, label-smoothed cross-entropy, backward, Adam with lr 1e-4 and β2 0.98; no
// clipping), two untimed warm-up steps then `steps` timed ones, and the printed summary — the
// parameter count, median wall and CPU ms per step, target tokens per second, the process's peak
// RSS — with the RESULT lines the scripts/bench_*train.sh scripts read (ms, cpu_ms, peak_mb,
// params, and tokens: target tokens per step), and the optional precision argument (fp32, or
// bf16 matrix products: tensor/precision.h). Header-only: each benchmark is one program.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/seq2seq.h"
#include "nn/functional.h"
#include "optim/adam.h"
#include "tensor/factories.h"
#include "tensor/precision.h"
#include "tensor/random.h"
#include "tensor/views.h"

namespace qkv::bench {

// Sets the precision named by argv[index] ("fp32" when absent, or "bf16") and returns true; false
// (after saying why on stderr) when the name is neither or this machine cannot run bf16 products.
inline bool set_precision_argument(int argc, char** argv, int index) {
  const std::string name = argc > index ? argv[index] : "fp32";
  if (name != "fp32" && name != "bf16") return false;
  if (name == "bf16" && !bf16_products_supported()) {
    fmt::print(stderr, "{}: bf16: {}\n", argv[0], bf16_unsupported_reason());
    return false;
  }
  set_matmul_precision(name == "bf16" ? Precision::bf16 : Precision::fp32);
  return true;
}

inline double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // all threads of the process
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Times training steps of `model` (parameters already initialised) on one random batch of
// `batch` sentences of `length` tokens (ids from 4 up: no pad, bos or eos, so every position is
// a real token) and prints "<label>: ..." and the RESULT lines.
inline void time_training_steps(models::Seq2Seq& model, const std::string& label, int64_t batch, int64_t length,
                                int64_t vocab, int steps, bool fused_loss = true) {
  Adam opt(model.parameters(), {.lr = 1e-4, .beta2 = 0.98, .eps = 1e-9});
  Generator data(1);
  const Tensor src = randint(4, vocab, Shape{batch, length}, data);        // (B, S)
  const Tensor tgt = randint(4, vocab, Shape{batch, length + 1}, data);    // (B, T+1)
  const Tensor tgt_in = raw::contiguous(raw::narrow(tgt, 1, 0, length));   // (B, T)
  const Tensor tgt_out = raw::contiguous(raw::narrow(tgt, 1, 1, length));  // (B, T)
  const Tensor src_padding = zeros(Shape{batch, length}, Dtype::bool_);    // (B, S), no pads

  std::vector<double> wall, cpu;
  double last_loss = 0;
  model.train();
  for (int i = 0; i < steps + 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    // The trainer's loss (train/train_step.cpp): the output layer fused with the loss; or, to
    // measure what that saves, the whole (B, T, V) logits and then cross_entropy.
    const CrossEntropyOptions o{.ignore_index = 0, .label_smoothing = 0.1};
    const Tensor loss = fused_loss ? model.loss(src, src_padding, tgt_in, tgt_out, o)
                                   : cross_entropy(model.forward(src, src_padding, tgt_in), tgt_out, o);
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
  fmt::print(
      "{}: {} parameters, {:.1f} ms/step ({:.1f} ms CPU), {:.0f} target tokens/s, peak RSS {:.0f} MB "
      "(loss {:.3f})\n",
      label, params, ms, cpu_ms, static_cast<double>(batch * length) / ms * 1000, peak, last_loss);
  fmt::print("RESULT ms {:.3f}\nRESULT cpu_ms {:.3f}\nRESULT peak_mb {:.1f}\nRESULT params {}\nRESULT tokens {}\n", ms,
             cpu_ms, peak, params, batch * length);
}

}  // namespace qkv::bench
