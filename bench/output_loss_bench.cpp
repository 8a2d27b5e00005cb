// output_loss_bench.cpp — a translation model's output layer and its loss alone, forward and
// backward (gradients for the input, the weight and the bias): linear_cross_entropy (the fused
// op, nn/functional/linear_cross_entropy.cpp) against linear then cross_entropy, in fp32 or with
// bf16 products, interleaved repetition by repetition so both see the same machine.
//
//   build/output_loss_bench [rows V D reps precision chunk_rows]
//   build/output_loss_bench 1536 8000 256 40 bf16      # train_step_bench's `small` (the default)
//   build/output_loss_bench 8192 9435 128 20 fp32      # qkv train's recipe, Wu et al.'s batch
//
// Prints the median and the fastest repetition of each, in ms. A benchmark, not a test.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/timing.h"
#include "qkv.h"

using namespace qkv;

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1536, V = argc > 2 ? std::atoll(argv[2]) : 8000;
  const int64_t D = argc > 3 ? std::atoll(argv[3]) : 256;
  const int reps = argc > 4 ? std::atoi(argv[4]) : 40;
  const std::string precision = argc > 5 ? argv[5] : "bf16";
  const int64_t chunk_rows = argc > 6 ? std::atoll(argv[6]) : 0;  // 0: the op's own choice
  if (rows < 1 || V < 2 || D < 1 || reps < 1 || chunk_rows < 0 || (precision != "fp32" && precision != "bf16")) {
    fmt::print(
        stderr,
        "usage: output_loss_bench [rows >= 1] [V >= 2] [D >= 1] [reps >= 1] [fp32|bf16] [chunk_rows, 0: automatic]\n");
    return 2;
  }
  set_matmul_precision(parse_enum<Precision>(precision, "precision"));

  Generator gen(1);
  Tensor x = randn({rows, D}, gen), w = randn({V, D}, gen, Dtype::float32, 0.0, 1.0 / 16), b = zeros({V});
  for (Tensor* t : {&x, &w, &b}) t->requires_grad_();
  const Tensor targets = randint(0, V, {rows}, gen);
  CrossEntropyOptions options;
  options.label_smoothing = 0.1;

  const auto step = [&](bool fused) {
    const Tensor loss = fused ? linear_cross_entropy(x, w, b, targets, options, chunk_rows)
                              : cross_entropy(linear(x, w, b), targets, options);
    loss.backward();
    for (Tensor* t : {&x, &w, &b}) t->zero_grad();
  };
  step(true), step(false);  // warm up: buffers, oneDNN's kernels
  std::vector<double> fused_ms, unfused_ms;
  for (int r = 0; r < reps; ++r) {
    for (bool fused : {true, false}) {
      const double t0 = bench::wall_ms();
      step(fused);
      (fused ? fused_ms : unfused_ms).push_back(bench::wall_ms() - t0);
    }
  }
  const auto fastest = [](std::vector<double> v) { return *std::min_element(v.begin(), v.end()); };
  fmt::print("output layer + loss, rows {} V {} D {}, {} products ({} active), {} repetitions (median / fastest ms)\n",
             rows, V, D, precision, bf16_products_active() ? "bf16" : "fp32", reps);
  fmt::print("  linear_cross_entropy     {:8.2f} / {:8.2f}\n", bench::median(fused_ms), fastest(fused_ms));
  fmt::print("  linear + cross_entropy   {:8.2f} / {:8.2f}\n", bench::median(unfused_ms), fastest(unfused_ms));
  return 0;
}
