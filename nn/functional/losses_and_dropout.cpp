// losses_and_dropout.cpp — mse_loss, composed from differentiable ops, and dropout, one fused
// pass (mask and output together) with its backward beside it.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

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
    case Reduction::none: return squared;
    case Reduction::sum: return sum(squared);
    case Reduction::mean: break;
  }
  return mean(squared);
}

// y = x·m with m = 1/(1-p) with probability 1-p, else 0.                 dx = dy·m
// The mask is drawn in fixed chunks of kDropoutChunk elements, in parallel: one 64-bit draw
// from `gen` seeds the whole call, and chunk c gets its own eight generators seeded from
// (that seed, c), so the mask depends on the seed and the shape only — never on the number of
// threads. The eight run in lockstep as one vector generator (Xoshiro8 below), and each of
// their 64-bit outputs decides two elements (each compares 32 random bits with (1-p)·2^32), so
// one step decides 16. Forward writes the mask and the output in one pass; the mask is saved
// for backward in x's dtype (it already holds the 1/(1-p) scale).
constexpr int64_t kDropoutChunk = int64_t{1} << 12;  // small enough that a 32K-element tensor splits 8 ways

namespace {

// Eight xoshiro256** generators (the same algorithm as Generator) stepped together on 8-lane
// vectors, which the compiler keeps in vector registers: 8 × 64 random bits per step instead
// of 64 from a single generator, whose steps each wait on the previous one.
class Xoshiro8 {
 public:
  typedef uint64_t Lanes __attribute__((vector_size(64)));
  static constexpr int kLanes = 8;

  // Lane k starts where Generator(seed + k) starts.
  explicit Xoshiro8(uint64_t seed) {
    for (int k = 0; k < kLanes; ++k) {
      const auto state = Generator(seed + static_cast<uint64_t>(k)).state();
      s0_[k] = state[0];
      s1_[k] = state[1];
      s2_[k] = state[2];
      s3_[k] = state[3];
    }
  }

  typedef uint32_t Words __attribute__((vector_size(64)));
  // 16 × 32 random bits: lane k's output gives words 2k (low half) and 2k + 1 (high half).
  Words next() {
    const Lanes result = rotl(s1_ * 5, 7) * 9;
    const Lanes t = s1_ << 17;
    s2_ ^= s0_;
    s3_ ^= s1_;
    s1_ ^= s2_;
    s0_ ^= s3_;
    s2_ ^= t;
    s3_ = rotl(s3_, 45);
    return std::bit_cast<Words>(result);  // little-endian: a lane's low half comes first
  }

 private:
  static Lanes rotl(Lanes x, int r) { return (x << r) | (x >> (64 - r)); }
  Lanes s0_{}, s1_{}, s2_{}, s3_{};
};

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p <= 1, "dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0) return x;
  // Keep an element if its 32 random bits are < (1-p)·2³², i.e. <= last_kept; when that bound
  // is 0 (p = 1, or within 2⁻³² of it) nothing is kept.
  const auto threshold = std::min<uint64_t>(static_cast<uint64_t>((1 - p) * 4294967296.0), uint64_t{1} << 32);
  if (threshold == 0) return x * 0.0;
  const auto last_kept = static_cast<uint32_t>(threshold - 1);
  check(x.dtype() == Dtype::float32 || x.dtype() == Dtype::float64, "dropout: expects a float tensor, got {}",
        x.dtype());
  const Tensor xc = raw::contiguous(x);
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
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
    constexpr int64_t step = 2 * Xoshiro8::kLanes;  // elements decided per generator step
    parallel_for(chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        Xoshiro8 local(seed ^ (static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull));
        const int64_t begin = c * kDropoutChunk;
        const int64_t end = std::min(n, begin + kDropoutChunk);
        for (int64_t i = begin; i < end; i += step) {
          const Xoshiro8::Words words = local.next();
          if constexpr (std::is_same_v<T, float>) {
            if (end - i >= step) {  // 16 decisions as one vector compare and select
              typedef float Floats __attribute__((vector_size(64)));
              const Floats kept = Floats{} + keep;
              const Floats mask16 = words <= last_kept ? kept : Floats{};
              std::memcpy(m + i, &mask16, sizeof mask16);
              continue;
            }
          }
          const int64_t count = std::min<int64_t>(step, end - i);
          for (int64_t j = 0; j < count; ++j) m[i + j] = words[j] <= last_kept ? keep : T(0);
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
