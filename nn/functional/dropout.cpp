// dropout.cpp — dropout, one fused pass (mask and output together) with its backward beside it,
// and relu_dropout, the feed-forward block's ReLU and dropout in that same pass.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>

#include "autograd/ops/elementwise.h"
#include "autograd/record.h"
#include "nn/functional.h"
#include "tensor/elementwise.h"
#include "tensor/factories.h"
#include "tensor/grain.h"
#include "tensor/parallel.h"
#include "tensor/views.h"

namespace qkv {

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

// Chunk c's mask: m[i] = keep or 0 for its `count` elements.
template <class T>
void draw_chunk_mask(uint64_t seed, int64_t c, int64_t count, uint32_t last_kept, T keep, T* m) {
  Xoshiro8 local(seed ^ (static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull));
  constexpr int64_t step = 2 * Xoshiro8::kLanes;  // elements decided per generator step
  for (int64_t i = 0; i < count; i += step) {
    const Xoshiro8::Words words = local.next();
    if constexpr (std::is_same_v<T, float>) {
      if (count - i >= step) {  // 16 decisions as one vector compare and select
        typedef float Floats __attribute__((vector_size(64)));
        const Floats kept = Floats{} + keep;
        const Floats mask16 = words <= last_kept ? kept : Floats{};
        std::memcpy(m + i, &mask16, sizeof mask16);
        continue;
      }
    }
    const int64_t n = std::min<int64_t>(step, count - i);
    for (int64_t j = 0; j < n; ++j) m[i + j] = words[j] <= last_kept ? keep : T(0);
  }
}

// What one dropout call draws: elements whose 32 random bits are <= last_kept survive, scaled
// by 1/(1-p); `seed` is the call's one draw from the caller's generator.
struct DropoutDraw {
  uint32_t last_kept;
  double scale;
  uint64_t seed;
};

// The probability's keep bound, or nothing when no element can survive: an element is kept if
// its 32 random bits are < (1-p)·2³², i.e. <= last_kept, and that bound is 0 for p = 1 (or
// within 2⁻³² of it).
std::optional<uint32_t> last_kept_bits(double p) {
  const auto threshold = std::min<uint64_t>(static_cast<uint64_t>((1 - p) * 4294967296.0), uint64_t{1} << 32);
  if (threshold == 0) return std::nullopt;
  return static_cast<uint32_t>(threshold - 1);
}

// out = f(in)·m over n elements, chunk by chunk in parallel. The mask goes to `mask` when it
// is given (dropout saves it); otherwise to a chunk-sized buffer of the thread, never to memory
// the size of the tensor.
template <class T, class F>
void dropout_pass(const T* in, T* out, T* mask, int64_t n, const DropoutDraw& draw, F f) {
  const T keep = static_cast<T>(draw.scale);
  const int64_t chunks = (n + kDropoutChunk - 1) / kDropoutChunk;
  parallel_for(chunks, 1, [&](int64_t first, int64_t last) {
    alignas(64) T chunk_mask[kDropoutChunk];
    for (int64_t c = first; c < last; ++c) {
      const int64_t begin = c * kDropoutChunk;
      const int64_t count = std::min(n, begin + kDropoutChunk) - begin;
      T* m = mask != nullptr ? mask + begin : chunk_mask;
      draw_chunk_mask(draw.seed, c, count, draw.last_kept, keep, m);
      for (int64_t i = 0; i < count; ++i) out[begin + i] = f(in[begin + i]) * m[i];
    }
  });
}

// dx = dy·scale where y > 0, else 0: relu_dropout's backward, one contiguous pass.
Tensor relu_dropout_backward(const Tensor& dy, const Tensor& y, double scale) {
  const Tensor g = raw::contiguous(dy);
  Tensor dx = Tensor::empty(y.shape(), y.dtype());
  dispatch_floating("relu_dropout", y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* py = y.data<T>();
    T* out = dx.data<T>();
    const T s = static_cast<T>(scale);
    parallel_for(y.numel(), grain::kElementwise, [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T kept = pg[i] * s;  // read unconditionally, so the loop compiles to vector selects
        out[i] = py[i] > T(0) ? kept : T(0);
      }
    });
  });
  return dx;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p <= 1, "dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0) return x;
  const std::optional<uint32_t> last_kept = last_kept_bits(p);
  if (!last_kept) return x * 0.0;
  check(x.dtype() == Dtype::float32 || x.dtype() == Dtype::float64, "dropout: expects a float tensor, got {}",
        x.dtype());
  const Tensor xc = raw::contiguous(x);
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const DropoutDraw draw{*last_kept, 1 / (1 - p), gen.next_u64()};
  dispatch_floating("dropout", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dropout_pass(xc.data<T>(), y.data<T>(), mask.data<T>(), x.numel(), draw, [](T v) { return v; });
  });
  if (needs_grad(x)) {
    record("dropout", y, {x}, [mask](const Tensor& dy) -> Grads { return {raw::mul(dy, mask)}; });
  }
  return y;
}

// y = relu(x)·m, the same y as dropout(relu(x)) from the same generator.
// dx = dy·m where x > 0, else 0; and x > 0 with m kept is exactly y > 0, so the backward reads
// only y (which the next layer saves anyway): no mask and no relu output are kept.
Tensor relu_dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p <= 1, "relu_dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0) return relu(x);
  const std::optional<uint32_t> last_kept = last_kept_bits(p);
  if (!last_kept) return relu(x) * 0.0;
  check(x.dtype() == Dtype::float32 || x.dtype() == Dtype::float64, "relu_dropout: expects a float tensor, got {}",
        x.dtype());
  const Tensor xc = raw::contiguous(x);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const DropoutDraw draw{*last_kept, 1 / (1 - p), gen.next_u64()};
  dispatch_floating("relu_dropout", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // v < 0 is false for NaN, so NaN passes through, as in relu.
    dropout_pass(xc.data<T>(), y.data<T>(), static_cast<T*>(nullptr), x.numel(), draw,
                 [](T v) { return v < T(0) ? T(0) : v; });
  });
  if (needs_grad(x)) {
    record("relu_dropout", y, {x}, [sy = save("relu_dropout", y), scale = draw.scale](const Tensor& dy) -> Grads {
      return {relu_dropout_backward(dy, sy.get(), scale)};
    });
  }
  return y;
}

}  // namespace qkv
