// losses_and_dropout.cpp — mse_loss, composed from differentiable ops, and dropout, one fused
// pass (mask and output together) with its backward beside it.
#include <algorithm>

#include "autograd/ops/elementwise.h"
#include "autograd/record.h"
#include "nn/functional.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check(input.shape() == target.shape(), "mse_loss: input {} and target {} must have the same shape", input.shape(),
        target.shape());
  const Tensor diff = input - target;
  const Tensor squared = diff * diff;
  switch (reduction) {
    case Reduction::none:
      return squared;
    case Reduction::sum:
      return sum(squared);
    case Reduction::mean:
      break;
  }
  return mean(squared);
}

// y = x·m with m = 1/(1-p) with probability 1-p, else 0.                 dx = dy·m
// The mask is drawn in fixed chunks of kDropoutChunk elements, in parallel: one 64-bit draw
// from `gen` seeds the whole call, and chunk c gets its own generator seeded with
// (that seed, c), so the mask depends on the seed and the shape only — never on the number of
// threads. Within a chunk one 64-bit draw decides two elements (each compares 32 random bits
// with (1-p)·2^32). Forward writes the mask and the output in one pass; the mask is saved for
// backward in x's dtype (it already holds the 1/(1-p) scale).
constexpr int64_t kDropoutChunk = int64_t{1} << 12;  // small enough that a 32K-element tensor splits 8 ways

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p <= 1, "dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  check(x.dtype() == Dtype::float32 || x.dtype() == Dtype::float64, "dropout: expects a float tensor, got {}",
        x.dtype());
  const Tensor xc = raw::contiguous(x);
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const auto threshold = static_cast<uint64_t>((1 - p) * 4294967296.0);  // keep if 32 random bits < this
  const double scale = 1 / (1 - p);
  const uint64_t seed = gen.next_u64();
  dispatch_floating("dropout", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = xc.data<T>();
    T* m = mask.data<T>();
    T* out = y.data<T>();
    const T keep = static_cast<T>(scale);
    const int64_t n = x.numel();
    const int64_t chunks = (n + kDropoutChunk - 1) / kDropoutChunk;
    parallel_for(chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        Generator local(seed ^ (static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull));
        const int64_t begin = c * kDropoutChunk;
        const int64_t end = std::min(n, begin + kDropoutChunk);
        for (int64_t i = begin; i < end; i += 2) {
          const uint64_t bits = local.next_u64();
          m[i] = (bits & 0xffffffffu) < threshold ? keep : T(0);
          if (i + 1 < end) m[i + 1] = (bits >> 32) < threshold ? keep : T(0);
        }
        for (int64_t i = begin; i < end; ++i) out[i] = in[i] * m[i];
      }
    });
  });
  if (needs_grad(x)) {
    record("dropout", y, {x}, [mask](const Tensor& dy) -> Grads { return {raw::mul(dy, mask)}; });
  }
  return y;
}

}  // namespace qkv
