// attention_test_util.h — helpers shared by the attention tests: building a variant for a test,
// looking up a parameter by name, comparing tensors, checking finiteness, padding masks.
// Test-only (uses Catch2); every function is inline so each test file can include it.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/attention/variant.h"
#include "qkv.h"

namespace qkv::attention_test {

// A float64 variant with `heads` heads of width `head_dim`, parameters drawn from Generator(seed),
// in eval mode (no dropout, no random key sampling).
inline std::unique_ptr<AttentionVariant> make_variant(const std::string& name, int64_t heads, int64_t head_dim,
                                                      uint64_t seed, std::map<std::string, double> options = {}) {
  AttentionConfig config;
  config.num_heads = heads;
  config.head_dim = head_dim;
  config.options = std::move(options);
  config.dtype = Dtype::float64;
  auto attn = make_attention(name, config);
  Generator gen(seed);
  attn->reset_parameters(gen);
  attn->eval();
  return attn;
}

// The parameter called `name` (a dotted path as named_parameters gives it); fails the test if none.
inline Tensor named_parameter(Module& module, const std::string& name) {
  for (auto& [n, p] : module.named_parameters()) {
    if (n == name) return p;
  }
  FAIL("no parameter named " << name);
  return {};
}

// Largest |a - b| over all elements; a and b must have the same shape.
inline double max_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = to_vector<double>(a), y = to_vector<double>(b);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

// max |a - b| / max(1, max |b|): relative to b's scale when that exceeds 1, absolute below.
inline double relative_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = to_vector<double>(a), y = to_vector<double>(b);
  double worst = 0, scale = 1;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, std::fabs(x[i] - y[i]));
    scale = std::max(scale, std::fabs(y[i]));
  }
  return worst / scale;
}

inline bool all_finite(const Tensor& t) {
  for (double v : to_vector<double>(t)) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// bool (B, Tk), true = padding: pad_lengths[b] positions at the end of row b (at the start when
// `left`, as in a left-padded batch).
inline Tensor padding_mask(int64_t tk, const std::vector<int64_t>& pad_lengths, bool left = false) {
  std::vector<bool> pad;
  for (int64_t len : pad_lengths) {
    for (int64_t j = 0; j < tk; ++j) pad.push_back(left ? j < len : j >= tk - len);
  }
  return from_vector(pad, Shape{static_cast<int64_t>(pad_lengths.size()), tk});
}

}  // namespace qkv::attention_test
