// autograd_overhead.cpp — what one recorded op costs on tiny tensors, where the arithmetic is
// negligible and the bookkeeping (allocation, dispatch, graph nodes, backward engine) is all.
//
// The expression is a chain of 16 identical blocks on a [4, 4] activation h, with leaves
// w [4, 4], s [4, 4] and v [4] (bench/torch_autograd_overhead.py computes the same in PyTorch):
//
//   h = matmul(h, w) + v                  matmul, broadcast add
//   h = tanh(h) * s                       unary, mul
//   h = (h - mean(h, 1, keepdim)) * 0.5   reduction, broadcast sub, mul by a scalar
//   h = sigmoid(h)                        unary
//   h = h + sum(h, 0) * v                 reduction, [4]·[4] mul, broadcast add
//
// that is 11 ops per block, then loss = sum(h): 177 recorded ops in all. It reports the median
// over many samples of the time per op for three passes:
//   forward+backward  record the graph, loss.backward(), clear the leaves' gradients
//   forward           record the graph, then drop it
//   forward no-grad   the same ops under NoGradGuard (raw kernels only, nothing recorded)
// Time is the process's CPU time by default, which stays meaningful when other jobs share the
// cores (wall-clock time then counts their turns too); pass "wall" to time wall-clock instead.
// Lines starting with RESULT are for scripts/bench_autograd.sh.
//
//   build-bench/autograd_overhead [cpu|wall] [samples] [iterations per sample]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "autograd/node.h"  // Node::live_count, to count the recorded ops
#include "qkv.h"

using namespace qkv;

namespace {

constexpr int kBlocks = 16;

struct Leaves {
  Tensor w, s, v;
};

// The benchmarked expression (see the top of the file).
Tensor expression(const Tensor& x, const Leaves& p) {
  Tensor h = x;
  for (int i = 0; i < kBlocks; ++i) {
    h = matmul(h, p.w) + p.v;
    h = tanh(h) * p.s;
    h = (h - mean(h, {1}, /*keepdim=*/true)) * 0.5;
    h = sigmoid(h);
    h = h + sum(h, {0}) * p.v;
  }
  return sum(h);
}

// Tensor number k of the benchmark, with fixed values in [-0.5, 0.5] that the PyTorch script
// computes the same way, so both print the same loss.
Tensor filled(const Shape& shape, int k) {
  std::vector<float> values(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>((static_cast<int>(i) * 5 + k * 3) % 11 - 5) / 10;
  }
  return from_vector(values, shape);
}

// Microseconds on the chosen clock: CPU time of all the process's threads, or wall-clock.
double now_us(bool wall) {
  if (wall) {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

// Median over `samples` of the time per op, in microseconds, of `iterations` runs of `body`.
double median_us_per_op(bool wall, int samples, int iterations, int64_t ops, const std::function<void()>& body) {
  for (int i = 0; i < iterations; ++i) body();  // warm up caches and the allocator
  std::vector<double> per_op;
  for (int s = 0; s < samples; ++s) {
    const double start = now_us(wall);
    for (int i = 0; i < iterations; ++i) body();
    per_op.push_back((now_us(wall) - start) / static_cast<double>(iterations * ops));
  }
  std::sort(per_op.begin(), per_op.end());
  return per_op[per_op.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool wall = argc > 1 && std::string(argv[1]) == "wall";
  const int samples = argc > 2 ? std::atoi(argv[2]) : 31;
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 40;

  const Tensor x = filled({4, 4}, 0);
  Leaves p{filled({4, 4}, 1).requires_grad_(), filled({4, 4}, 2).requires_grad_(), filled({4}, 3).requires_grad_()};

  // Count the ops by the graph nodes one forward pass keeps alive.
  const int64_t before = Node::live_count();
  const Tensor probe = expression(x, p);
  const int64_t ops = Node::live_count() - before;
  fmt::print("qkv: {} recorded ops per pass, loss {:.6f}\n", ops, probe.item());
  probe.backward();
  fmt::print("qkv: grad sums w {:.6f}  s {:.6f}  v {:.6f}\n", sum(p.w.grad()).item(), sum(p.s.grad()).item(),
             sum(p.v.grad()).item());
  for (Tensor* t : {&p.w, &p.s, &p.v}) t->zero_grad();

  const double fwd_bwd = median_us_per_op(wall, samples, iterations, ops, [&] {
    expression(x, p).backward();
    for (Tensor* t : {&p.w, &p.s, &p.v}) t->zero_grad();
  });
  const double fwd = median_us_per_op(wall, samples, iterations, ops, [&] { expression(x, p); });
  const double fwd_nograd = median_us_per_op(wall, samples, iterations, ops, [&] {
    NoGradGuard no_grad;
    expression(x, p);
  });

  fmt::print("qkv: median {} us per op  forward+backward {:.3f}  forward {:.3f}  forward no-grad {:.3f}\n",
             wall ? "wall-clock" : "CPU-time", fwd_bwd, fwd, fwd_nograd);
  fmt::print("RESULT ops {}\n", ops);
  fmt::print("RESULT forward_backward {:.4f}\n", fwd_bwd);
  fmt::print("RESULT forward {:.4f}\n", fwd);
  fmt::print("RESULT forward_nograd {:.4f}\n", fwd_nograd);
  return 0;
}
