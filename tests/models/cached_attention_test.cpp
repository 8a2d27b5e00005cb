// cached_attention_test.cpp — MultiHeadAttention's cached-decoding halves (project_key_values,
// attend, attend_step) against its forward, for every registered variant and every normaliser,
// as cross- and as self-attention: what the cached Transformer decoder relies on, checked one
// layer at a time so a failure names the variant and the role.
#include <catch2/catch.hpp>

#include "autograd/grad_mode.h"
#include "autograd/ops/index.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/views.h"
#include "nn/attention/multi_head_attention.h"
#include "tensor/factories.h"
#include "tensor/random.h"
#include "tensor/views.h"
#include "tests/models/model_test_util.h"

using namespace qkv;
using qkv::models::testing::max_abs_diff;

namespace {

constexpr int64_t kBatch = 2, kSteps = 5, kSource = 6, kWidth = 8, kHeads = 2;

struct Case {
  std::string attention;                  // a variant, maybe "+normaliser"
  std::map<std::string, double> options;  // the variant's knobs
};

// Every registered variant with its defaults, scaled_dot with every normaliser, and conv with
// convolved queries (the one variant option that changes how it decodes).
std::vector<Case> every_case() {
  std::vector<Case> cases;
  for (const RegistryEntry& v : attention_variants()) cases.push_back({v.name, {}});
  for (const RegistryEntry& n : normalisers()) cases.push_back({"scaled_dot+" + n.name, {}});
  cases.push_back({"conv", {{"queries", 1.0}}});
  return cases;
}

std::string describe(const Case& c) {
  std::string s = c.attention;
  for (const auto& [key, value] : c.options) s += " " + key + "=" + std::to_string(value);
  return s;
}

MultiHeadAttention make_mha(const Case& c, Generator& gen) {
  MultiHeadAttentionConfig config;
  config.embed_dim = kWidth;
  config.num_heads = kHeads;
  config.attention = c.attention;
  config.options = c.options;
  config.dropout = 0.1;  // eval mode must switch it off in both paths
  config.dtype = Dtype::float64;
  MultiHeadAttention mha(config);
  mha.reset_parameters(gen);
  mha.eval();
  return mha;
}

// conv with option "queries": a step sees only its own query, not the neighbours it convolves.
bool convolves_queries(const Case& c) { return c.attention == "conv" && c.options.count("queries") != 0; }

// Whether the variant ties query i to key position i + (Tk - Tq) (AttentionVariant::position_tied).
bool position_tied(const Case& c) {
  AttentionConfig config;
  config.num_heads = kHeads;
  config.head_dim = kWidth / kHeads;
  config.options = c.options;
  return make_attention(c.attention, config)->position_tied();
}

Tensor positions(const Tensor& x, int64_t start, int64_t length) {  // (B, T, E) → (B, length, E)
  return raw::contiguous(raw::narrow(x, 1, start, length));
}

// The second sentence's last two source positions are padding.
AttentionMask source_padding() {
  std::vector<bool> pad(static_cast<size_t>(kBatch * kSource), false);
  pad[static_cast<size_t>(2 * kSource - 1)] = pad[static_cast<size_t>(2 * kSource - 2)] = true;
  return AttentionMask::key_padding(from_vector(pad, {kBatch, kSource}));
}

}  // namespace

TEST_CASE("attend over projected keys and values is forward, bit for bit, for every variant", "[models]") {
  Generator gen(21);
  NoGradGuard no_grad;
  for (const Case& c : every_case()) {
    INFO("attention " << describe(c));
    MultiHeadAttention mha = make_mha(c, gen);
    const Tensor x = randn({kBatch, kSteps, kWidth}, gen, Dtype::float64);        // (B, T, E)
    const Tensor memory = randn({kBatch, kSource, kWidth}, gen, Dtype::float64);  // (B, S, E)
    const AttentionMask padding = source_padding();
    const KeyValues kv = mha.project_key_values(memory, memory);
    CHECK(kv.k.shape() == Shape{kBatch, kHeads, kSource, kWidth / kHeads});
    for (bool need_weights : {false, true}) {
      const AttentionResult full = mha.forward(x, memory, memory, padding, need_weights);
      const AttentionResult cached = mha.attend(x, kv, padding, need_weights);
      CHECK(max_abs_diff(cached.out, full.out) == 0);
      if (need_weights) CHECK(max_abs_diff(cached.weights, full.weights) == 0);
    }
  }
}

// Cross-attention: one query at a time over the memory's cached keys and values gives the
// full forward's row, except for the position-tied variants (local, strided), whose query i
// sits at key position i + (S - T), which depends on the full target length T, and conv with
// convolved queries.
TEST_CASE("cross-attention one step at a time equals forward for every step-exact variant", "[models]") {
  Generator gen(22);
  NoGradGuard no_grad;
  for (const Case& c : every_case()) {
    INFO("attention " << describe(c));
    MultiHeadAttention mha = make_mha(c, gen);
    const Tensor x = randn({kBatch, kSteps, kWidth}, gen, Dtype::float64);
    const Tensor memory = randn({kBatch, kSource, kWidth}, gen, Dtype::float64);
    const AttentionMask padding = source_padding();
    const Tensor full = mha.forward(x, memory, memory, padding).out;  // (B, T, E)
    const KeyValues kv = mha.project_key_values(memory, memory);
    double worst = 0;
    for (int64_t t = 0; t < kSteps; ++t) {
      const Tensor step = mha.attend(positions(x, t, 1), kv, padding).out;  // (B, 1, E)
      worst = std::max(worst, max_abs_diff(step, positions(full, t, 1)));
    }
    if (position_tied(c) || convolves_queries(c)) {
      CHECK(worst > 1e-6);  // documented in multi_head_attention.h: not step-exact
    } else {
      CHECK(worst < 1e-12);
    }
  }
}

// Self-attention: attend_step appends each new position's keys and values and attends
// causally over them; the first call feeds two positions at once. Every variant reproduces the
// causal forward, except conv with convolved queries, which at a step sees only its own query.
TEST_CASE("self-attention through attend_step equals the causal forward for every variant", "[models]") {
  Generator gen(23);
  NoGradGuard no_grad;
  for (const Case& c : every_case()) {
    INFO("attention " << describe(c));
    MultiHeadAttention mha = make_mha(c, gen);
    const Tensor x = randn({kBatch, kSteps, kWidth}, gen, Dtype::float64);
    const Tensor full = mha.forward(x, x, x, AttentionMask::causal()).out;  // (B, T, E)
    KeyValues past;
    double worst = max_abs_diff(mha.attend_step(positions(x, 0, 2), past), positions(full, 0, 2));
    for (int64_t t = 2; t < kSteps; ++t) {
      worst = std::max(worst, max_abs_diff(mha.attend_step(positions(x, t, 1), past), positions(full, t, 1)));
    }
    CHECK(past.k.shape() == Shape{kBatch, kHeads, kSteps, kWidth / kHeads});
    CHECK(past.v.shape() == past.k.shape());
    if (convolves_queries(c)) {
      CHECK(worst > 1e-6);  // documented in multi_head_attention.h: not step-exact
    } else {
      CHECK(worst < 1e-12);
    }
  }
}

TEST_CASE("KeyValues: append grows along time, select_rows reorders the batch", "[models]") {
  Generator gen(24);
  const Tensor k = randn({3, kHeads, 2, 4}, gen, Dtype::float64), v = randn({3, kHeads, 2, 4}, gen, Dtype::float64);
  KeyValues cache;
  CHECK(cache.empty());
  CHECK(cache.select_rows(from_vector<int64_t>({0})).empty());
  cache.append({k, v});
  CHECK(max_abs_diff(cache.k, k) == 0);
  cache.append({k, v});
  CHECK(cache.k.shape() == Shape{3, kHeads, 4, 4});
  CHECK(max_abs_diff(raw::narrow(cache.v, 2, 2, 2), v) == 0);
  const KeyValues picked = cache.select_rows(from_vector<int64_t>({2, 0, 2}));
  CHECK(max_abs_diff(raw::select(picked.k, 0, 0), raw::select(cache.k, 0, 2)) == 0);
  CHECK(max_abs_diff(raw::select(picked.v, 0, 1), raw::select(cache.v, 0, 0)) == 0);
  CHECK(max_abs_diff(raw::select(picked.k, 0, 2), raw::select(cache.k, 0, 2)) == 0);
}

TEST_CASE("KeyValues: appends past the buffer's room keep every step, and a copy appends apart", "[models]") {
  Generator gen(26);
  std::vector<Tensor> steps;
  KeyValues cache;
  for (int t = 0; t < 40; ++t) {  // the first buffer holds 16 positions: it grows twice
    steps.push_back(randn({2, kHeads, 1, 4}, gen));
    cache.append({steps.back(), steps.back()});
    REQUIRE(cache.k.size(2) == t + 1);
  }
  CHECK(max_abs_diff(cache.k, concat(steps, 2)) == 0);
  CHECK(max_abs_diff(cache.v, concat(steps, 2)) == 0);
  KeyValues copy = cache;  // shares the buffer: each must still see only its own appends
  const Tensor a = randn({2, kHeads, 1, 4}, gen), b = randn({2, kHeads, 1, 4}, gen);
  cache.append({a, a});
  copy.append({b, b});
  CHECK(max_abs_diff(raw::narrow(cache.k, 2, 40, 1), a) == 0);
  CHECK(max_abs_diff(raw::narrow(copy.k, 2, 40, 1), b) == 0);
  CHECK(max_abs_diff(raw::narrow(copy.k, 2, 0, 40), concat(steps, 2)) == 0);
  // Rows picked out keep growing in place and keep their history.
  KeyValues picked = cache.select_rows(from_vector<int64_t>({1}));
  picked.append({raw::narrow(b, 0, 0, 1), raw::narrow(b, 0, 0, 1)});
  CHECK(max_abs_diff(raw::narrow(picked.k, 2, 0, 41), raw::narrow(cache.k, 0, 1, 1)) == 0);
  CHECK(max_abs_diff(raw::narrow(picked.k, 2, 41, 1), raw::narrow(b, 0, 0, 1)) == 0);
}

TEST_CASE("KeyValues: with gradients needed, append is differentiable", "[models]") {
  Generator gen(27);
  const Tensor k1 = randn({1, kHeads, 2, 4}, gen).requires_grad_(), k2 = randn({1, kHeads, 1, 4}, gen).requires_grad_();
  KeyValues cache;
  cache.append({k1, k1});
  cache.append({k2, k2});
  sum(cache.k).backward();
  CHECK(k1.grad().defined());
  CHECK(k2.grad().defined());
}

TEST_CASE("MultiHeadAttention's cached halves name themselves and the shapes in their errors", "[models]") {
  Generator gen(25);
  MultiHeadAttention mha = make_mha({"scaled_dot", {}}, gen);
  const Tensor x = randn({kBatch, 1, kWidth}, gen, Dtype::float64);
  CHECK_THROWS_WITH(mha.attend(x, KeyValues{}), Catch::Contains("MultiHeadAttention::attend"));
  const KeyValues other_batch =
      mha.project_key_values(randn({3, 4, kWidth}, gen, Dtype::float64), randn({3, 4, kWidth}, gen, Dtype::float64));
  CHECK_THROWS_WITH(mha.attend(x, other_batch), Catch::Contains("[3, 2, 4, 4]"));
  KeyValues past = other_batch;
  CHECK_THROWS_WITH(mha.attend_step(x, past), Catch::Contains("MultiHeadAttention::attend_step"));
  CHECK_THROWS_WITH(mha.project_key_values(x, randn({kBatch, 2, kWidth}, gen, Dtype::float64)),
                    Catch::Contains("project_key_values"));
}
