// random.h — a seeded random generator and the random factories that draw from it.
//
// The generator is xoshiro256** seeded through splitmix64, and normal variates come from our
// own Box–Muller transform, so the same seed gives the same numbers on every machine and
// standard library (std::normal_distribution is not portable across implementations).
// Pass generators explicitly: there is no hidden global random state in qkv.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace qkv {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0);
  // The next 64 random bits (xoshiro256**; inline, so bulk draws keep the state in registers).
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform on [0, 1) with 53 random bits.
  double uniform();
  // Standard normal.
  double normal();
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n);

  // The full state, so training can save and restore its random position.
  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// Uniform on [low, high).
Tensor rand(const Shape& shape, Generator& gen, Dtype dtype = Dtype::float32, double low = 0, double high = 1);
// Normal with the given mean and standard deviation.
Tensor randn(const Shape& shape, Generator& gen, Dtype dtype = Dtype::float32, double mean = 0, double std = 1);
// 1 with probability p, else 0, in `dtype` (bool_ gives a mask).
Tensor bernoulli(const Shape& shape, double p, Generator& gen, Dtype dtype = Dtype::float32);
// Integers uniform on [low, high), int64.
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen);

}  // namespace qkv
