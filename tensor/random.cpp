// random.cpp — xoshiro256** with splitmix64 seeding, Box–Muller normals, random factories.
#include "tensor/random.h"

#include <cmath>
#include <numbers>

namespace qkv {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills a fresh tensor element by element from draw(), converted to its dtype.
template <class Draw>
Tensor fill_random(const Shape& shape, Dtype dtype, Draw&& draw) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(draw());
  });
  return t;
}

}  // namespace

Generator::Generator(uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  // Box–Muller: one normal from two uniforms (the second variate is discarded so that the
  // generator's state alone determines the stream).
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t Generator::below(uint64_t n) {
  check(n > 0, "Generator::below: n must be positive");
  // Rejection sampling removes modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

Tensor rand(const Shape& shape, Generator& gen, Dtype dtype, double low, double high) {
  check(is_floating(dtype), "rand: needs a floating dtype, got {}", dtype);
  check(low < high, "rand: low {} must be below high {}", low, high);
  return fill_random(shape, dtype, [&] { return low + (high - low) * gen.uniform(); });
}

Tensor randn(const Shape& shape, Generator& gen, Dtype dtype, double mean, double std) {
  check(is_floating(dtype), "randn: needs a floating dtype, got {}", dtype);
  check(std >= 0, "randn: standard deviation {} is negative", std);
  return fill_random(shape, dtype, [&] { return mean + std * gen.normal(); });
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, Dtype dtype) {
  check(p >= 0 && p <= 1, "bernoulli: probability {} is outside [0, 1]", p);
  return fill_random(shape, dtype, [&] { return gen.uniform() < p ? 1.0 : 0.0; });
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen) {
  check(low < high, "randint: low {} must be below high {}", low, high);
  const auto span = static_cast<uint64_t>(high - low);
  Tensor t = Tensor::empty(shape, Dtype::int64);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = low + static_cast<int64_t>(gen.below(span));
  return t;
}

}  // namespace qkv
