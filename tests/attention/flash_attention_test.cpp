// flash_attention_test.cpp — the fused flash-attention kernel against the composed scaled-dot
// path (matmul → scale → masked_fill → softmax → matmul): values and gradients in float64 (tight)
// and float32 (~1e-5), under causal, key-padding, window and explicit masks, cross attention with
// bottom-right causal alignment, sizes that are not multiples of the tile, fully masked rows and
// both backward schedules; plus gradchecks of the fused op and the default variant's dispatch.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/flash_attention.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

struct Case {
  int64_t batch = 2, heads = 3, tq = 70, tk = 70, dh = 8, dv = 8;
  Dtype dtype = Dtype::float64;
  FlashAttentionTiles tiles{};  // the kernel's choice (64 × 64 at these lengths)
};

struct Inputs {
  Tensor q, k, v, grad_out;
};

// q, k, v as MultiHeadAttention passes them: (B, H, T, D) views of (B, T, H, D) tensors.
Inputs random_inputs(const Case& c, Generator& gen) {
  auto heads_view = [&](int64_t t, int64_t d) {
    return raw::transpose(randn({c.batch, t, c.heads, d}, gen, c.dtype), 1, 2);
  };
  return {heads_view(c.tq, c.dh), heads_view(c.tk, c.dh), heads_view(c.tk, c.dv),
          randn({c.batch, c.heads, c.tq, c.dv}, gen, c.dtype)};
}

// The composed path: the scaled_dot variant with the fused kernel turned off.
std::unique_ptr<AttentionVariant> composed_variant(const Case& c) {
  AttentionConfig config;
  config.num_heads = c.heads;
  config.head_dim = c.dh;
  config.value_dim = c.dv;
  config.dtype = c.dtype;
  config.options["fused"] = 0;
  auto variant = make_attention("scaled_dot", config);
  variant->eval();
  return variant;
}

struct Outcome {
  Tensor out, dq, dk, dv;
};

// Output and the gradients of Σ out ∘ grad_out with respect to q, k and v.
template <class F>
Outcome run(const Inputs& x, F&& attend) {
  Tensor q = x.q.detach().requires_grad_(), k = x.k.detach().requires_grad_(), v = x.v.detach().requires_grad_();
  const Tensor out = attend(q, k, v);
  sum(out * x.grad_out).backward();
  return {out.detach(), q.grad(), k.grad(), v.grad()};
}

// Runs the fused kernel and the composed path on the same inputs and compares everything.
void check_agrees(const Case& c, const AttentionMask& mask, uint64_t seed = 1) {
  Generator gen(seed);
  const Inputs x = random_inputs(c, gen);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.dh));
  const Outcome fused = run(x, [&](const Tensor& q, const Tensor& k, const Tensor& v) {
    return flash_attention(q, k, v, mask, scale, c.tiles);
  });
  auto composed = composed_variant(c);
  const Outcome ref = run(x, [&](const Tensor& q, const Tensor& k, const Tensor& v) {
    return composed->forward(q, k, v, mask, false).out;
  });
  const double tol = c.dtype == Dtype::float64 ? 1e-12 : 1e-5;
  INFO("B " << c.batch << " H " << c.heads << " Tq " << c.tq << " Tk " << c.tk << " Dh " << c.dh << " Dv " << c.dv
            << " tiles " << c.tiles.query_block << "x" << c.tiles.key_block << " " << dtype_name(c.dtype));
  CHECK(all_finite(fused.out));
  CHECK(all_finite(fused.dq));
  CHECK(all_finite(fused.dk));
  CHECK(all_finite(fused.dv));
  CHECK(relative_diff(fused.out, ref.out) < tol);
  CHECK(relative_diff(fused.dq, ref.dq) < tol);
  CHECK(relative_diff(fused.dk, ref.dk) < tol);
  CHECK(relative_diff(fused.dv, ref.dv) < tol);
}

Tensor random_bool(const Shape& shape, double p_true, Generator& gen) {
  return raw::lt(rand(shape, gen, Dtype::float64), scalar(p_true, Dtype::float64));
}

// Restores qkv's thread count when a test changes it.
struct ThreadCount {
  int saved = num_threads();
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
};

}  // namespace

TEST_CASE("flash attention agrees with the composed path in float64", "[attention][flash]") {
  for (int threads : {1, 2}) {
    ThreadCount thread_count(threads);
    INFO("qkv threads: " << threads);
    SECTION("no mask, causal, sizes off the tile") {
      for (auto [tq, tk] : {std::pair<int64_t, int64_t>{70, 70}, {64, 64}, {1, 1}, {130, 129}}) {
        Case c;
        c.tq = tq;
        c.tk = tk;
        check_agrees(c, {});
        check_agrees(c, AttentionMask::causal());
      }
    }
    SECTION("cross attention, bottom-right causal alignment") {
      for (auto [tq, tk] : {std::pair<int64_t, int64_t>{37, 100}, {100, 37}, {5, 131}, {70, 1}}) {
        Case c;
        c.tq = tq;
        c.tk = tk;
        c.dv = 5;  // Dv != Dh too
        check_agrees(c, {});
        check_agrees(c, AttentionMask::causal());  // Tq > Tk: the first Tq - Tk rows see nothing
      }
    }
    SECTION("one query row (a decoding step: no K transpose, dot products) against many keys") {
      for (int64_t tk : {1, 7, 100, 257}) {
        Case c;
        c.tq = 1;
        c.tk = tk;
        c.dv = 5;
        check_agrees(c, {});
        check_agrees(c, AttentionMask::causal());
        check_agrees(c, AttentionMask::key_padding(padding_mask(c.tk, {tk / 2, 0})) & AttentionMask::causal());
        c.dtype = Dtype::float32;
        check_agrees(c, AttentionMask::causal());
      }
    }
    SECTION("key padding, with a fully padded batch element") {
      Case c;
      c.tq = 50;
      c.tk = 90;
      check_agrees(c, AttentionMask::key_padding(padding_mask(c.tk, {20, 0})));
      check_agrees(c, AttentionMask::key_padding(padding_mask(c.tk, {90, 65})) & AttentionMask::causal());
    }
    SECTION("local window") {
      Case c;
      c.tq = c.tk = 150;
      check_agrees(c, AttentionMask::window(5, 3));
      check_agrees(c, AttentionMask::window(70, 0) & AttentionMask::causal());
      c.tq = 40;
      check_agrees(c, AttentionMask::window(2, 9));
    }
    SECTION("explicit allowed tensors, broadcast and full") {
      Case c;
      c.tq = 66;
      c.tk = 75;
      Generator gen(3);
      check_agrees(c, AttentionMask::allowing(random_bool({c.tq, c.tk}, 0.7, gen)));
      check_agrees(c,
                   AttentionMask::allowing(random_bool({c.batch, 1, c.tq, c.tk}, 0.5, gen)) & AttentionMask::causal());
      check_agrees(c, AttentionMask::blocking(random_bool({c.batch, c.heads, c.tq, c.tk}, 0.3, gen)) &
                          AttentionMask::key_padding(padding_mask(c.tk, {10, 3})));
    }
    SECTION("small tiles: many tiles per head, partial last tiles") {
      Case c;
      c.batch = 1;
      c.heads = 2;
      c.tq = 45;
      c.tk = 38;
      c.tiles = {8, 5};
      check_agrees(c, {});
      check_agrees(c, AttentionMask::causal());
      check_agrees(c, AttentionMask::window(4, 6) & AttentionMask::key_padding(padding_mask(c.tk, {7})));
      c.tiles = {16, 64};
      check_agrees(c, AttentionMask::causal());
    }
    SECTION("the large tiles of long sequences") {
      Case c;
      c.batch = 1;
      c.tq = 300;
      c.tk = 290;
      c.tiles = {128, 128};
      check_agrees(c, AttentionMask::causal());
      check_agrees(c, AttentionMask::window(100, 20) & AttentionMask::key_padding(padding_mask(c.tk, {40})));
    }
  }
}

TEST_CASE("flash attention agrees with the composed path in float32", "[attention][flash]") {
  for (int threads : {1, 2}) {
    ThreadCount thread_count(threads);
    INFO("qkv threads: " << threads);
    Case c;
    c.dtype = Dtype::float32;
    c.batch = 2;
    c.heads = 4;
    c.dh = c.dv = 32;
    c.tq = c.tk = 200;
    check_agrees(c, AttentionMask::causal());
    check_agrees(c, AttentionMask::key_padding(padding_mask(c.tk, {30, 199})));
    check_agrees(c, AttentionMask::window(16, 16));
    c.tq = 77;
    Generator gen(4);
    check_agrees(c, AttentionMask::causal() & AttentionMask::allowing(random_bool({c.tq, c.tk}, 0.8, gen)));
    c.batch = 1;
    c.heads = 1;  // few heads: the two-pass backward when threads > 1
    c.tq = 130;
    c.tk = 150;
    check_agrees(c, AttentionMask::causal());
  }
}

TEST_CASE("flash attention: fully masked rows give zero output and zero gradients", "[attention][flash]") {
  for (Dtype dtype : {Dtype::float64, Dtype::float32}) {
    Case c;
    c.dtype = dtype;
    c.batch = 2;
    c.heads = 2;
    c.tq = 9;
    c.tk = 70;
    Generator gen(5);
    const Inputs x = random_inputs(c, gen);
    // Batch element 1 is all padding; in element 0, query 4 is blocked from every key.
    Tensor allowed = ones({c.batch, 1, c.tq, c.tk}, Dtype::bool_);
    raw::fill_(raw::select(raw::select(raw::select(allowed, 0, 0), 0, 0), 0, 4), 0.0);
    const auto mask = AttentionMask::key_padding(padding_mask(c.tk, {0, c.tk})) & AttentionMask::allowing(allowed);
    const Outcome r =
        run(x, [&](const Tensor& q, const Tensor& k, const Tensor& v) { return flash_attention(q, k, v, mask, 0.5); });
    for (const Tensor& t : {r.out, r.dq, r.dk, r.dv}) CHECK(all_finite(t));
    auto zero = [](const Tensor& t) { return relative_diff(t, zeros(t.shape(), t.dtype())) == 0; };
    CHECK(zero(raw::select(r.out, 0, 1)));  // every row of batch element 1
    CHECK(zero(raw::select(r.dq, 0, 1)));
    CHECK(zero(raw::select(r.dk, 0, 1)));
    CHECK(zero(raw::select(r.dv, 0, 1)));
    CHECK(zero(raw::select(raw::select(r.out, 0, 0), 1, 4)));  // query 4 of element 0, both heads
    CHECK(zero(raw::select(raw::select(r.dq, 0, 0), 1, 4)));
    CHECK_FALSE(zero(raw::select(r.out, 0, 0)));
  }
}

TEST_CASE("flash attention: only a mask zeroes a row - NaN scores give NaN and anomaly mode names the op",
          "[attention][flash]") {
  for (Dtype dtype : {Dtype::float64, Dtype::float32}) {
    Case c;
    c.dtype = dtype;
    c.batch = 2;
    c.heads = 2;
    c.tq = 9;
    c.tk = 70;  // several key blocks
    Generator gen(8);
    Inputs x = random_inputs(c, gen);
    // Query 3 of (batch 0, head 1) is NaN: every score of that row is NaN.
    raw::fill_(raw::select(raw::select(raw::select(x.q, 0, 0), 0, 1), 0, 3), std::nan(""));
    // Query 5 of the same head is fully masked: its row must stay exactly 0.
    Tensor allowed = ones({c.batch, 1, c.tq, c.tk}, Dtype::bool_);
    raw::fill_(raw::select(raw::select(raw::select(allowed, 0, 0), 0, 0), 0, 5), 0.0);
    const auto mask = AttentionMask::allowing(allowed);
    const Tensor out = flash_attention(x.q, x.k, x.v, mask, 0.5);
    const Tensor head = raw::select(raw::select(out, 0, 0), 0, 1);  // (Tq, Dv)
    CHECK_FALSE(all_finite(raw::select(head, 0, 3)));
    CHECK(relative_diff(raw::select(head, 0, 5), zeros({head.size(1)}, dtype)) == 0);
    CHECK(all_finite(raw::select(head, 0, 4)));
    CHECK(all_finite(raw::select(out, 0, 1)));  // other batch elements are untouched
    {
      AnomalyGuard anomaly;
      CHECK_THROWS_WITH(flash_attention(x.q.detach().requires_grad_(), x.k, x.v, mask, 0.5),
                        Catch::Contains("flash_attention"));
    }
    // One NaN key in every row's view: all of batch 0 becomes NaN, not a silently smaller sum.
    Inputs y = random_inputs(c, gen);
    raw::fill_(raw::select(raw::select(raw::select(y.k, 0, 0), 0, 0), 0, 40), std::nan(""));
    const Tensor out_k = flash_attention(y.q, y.k, y.v, AttentionMask(), 0.5);
    CHECK_FALSE(all_finite(raw::select(raw::select(raw::select(out_k, 0, 0), 0, 0), 0, c.tq - 1)));
  }
}

TEST_CASE("flash attention in float32: scores far below the row max get weight exactly 0", "[attention][flash]") {
  // One query and 21 keys (one 16-lane block of the exp and a tail of 5): key 0 scores 0, key j
  // scores -100·j (exp underflows: below -87.34 fast_exp gives exactly 0, never NaN), key 20 is
  // padding. So the output is exactly v_0, and dV is grad_out at key 0 and exactly 0 elsewhere.
  const int64_t tk = 21, dv = 3;
  std::vector<float> keys(static_cast<size_t>(tk));
  for (int64_t j = 0; j < tk; ++j) keys[static_cast<size_t>(j)] = -100.0f * static_cast<float>(j);
  Generator gen(6);
  const Tensor q = ones({1, 1, 1, 1}, Dtype::float32).requires_grad_();
  const Tensor k = from_vector(keys, Shape{1, 1, tk, 1}).requires_grad_();
  const Tensor v = randn({1, 1, tk, dv}, gen, Dtype::float32).requires_grad_();
  const Tensor grad_out = randn({1, 1, 1, dv}, gen, Dtype::float32);
  const Tensor out = flash_attention(q, k, v, AttentionMask::key_padding(padding_mask(tk, {1})), 1.0);
  sum(out * grad_out).backward();
  const Tensor v0 = raw::narrow(v.detach(), 2, 0, 1);
  CHECK(max_diff(out.detach(), v0) == 0);
  CHECK(max_diff(raw::narrow(v.grad(), 2, 0, 1), grad_out) == 0);
  CHECK(max_diff(raw::narrow(v.grad(), 2, 1, tk - 1), zeros({1, 1, tk - 1, dv}, Dtype::float32)) == 0);
  CHECK(all_finite(q.grad()));
  CHECK(all_finite(k.grad()));
}

TEST_CASE("flash attention: gradcheck in float64", "[attention][flash]") {
  Generator gen(6);
  const FlashAttentionTiles small{3, 4};  // several tiles even at these sizes
  struct Masked {
    std::string name;
    int64_t tq, tk;
    AttentionMask mask;
  };
  const std::vector<Masked> cases = {
      {"none", 5, 7, {}},
      {"causal", 7, 7, AttentionMask::causal()},
      {"causal cross", 4, 9, AttentionMask::causal()},
      {"causal, fewer keys", 6, 4, AttentionMask::causal()},  // rows 0 and 1 see nothing
      {"window + padding", 8, 9, AttentionMask::window(2, 1) & AttentionMask::key_padding(padding_mask(9, {2, 9}))},
      {"allowed", 5, 6, AttentionMask::allowing(random_bool({2, 1, 5, 6}, 0.6, gen))},
  };
  for (const Masked& m : cases) {
    for (const FlashAttentionTiles& tiles : {FlashAttentionTiles{}, small}) {
      INFO(m.name << ", tiles " << tiles.query_block << "x" << tiles.key_block);
      std::vector<Tensor> inputs{randn({2, 2, m.tq, 3}, gen, Dtype::float64).requires_grad_(),
                                 randn({2, 2, m.tk, 3}, gen, Dtype::float64).requires_grad_(),
                                 randn({2, 2, m.tk, 2}, gen, Dtype::float64).requires_grad_()};
      REQUIRE_NOTHROW(gradcheck(
          "flash_attention",
          [&](const std::vector<Tensor>& in) { return flash_attention(in[0], in[1], in[2], m.mask, 0.7, tiles); },
          inputs));
    }
  }
}

TEST_CASE("flash attention reads any operand layout", "[attention][flash]") {
  Generator gen(7);
  // Contiguous (B, H, T, D), a (B, H, D, T) transposed back (column stride != 1: copied), and
  // a head-broadcast k (stride 0 over heads).
  const Tensor q = randn({2, 3, 20, 4}, gen, Dtype::float64);
  const Tensor k = raw::transpose(randn({2, 3, 4, 25}, gen, Dtype::float64), 2, 3);
  const Tensor v = raw::expand(randn({2, 1, 25, 4}, gen, Dtype::float64), {2, 3, 25, 4});
  const auto mask = AttentionMask::causal();
  const Tensor fused = flash_attention(q, k, v, mask, 0.5);
  const Tensor ref = matmul(softmax(masked_fill(matmul(q, raw::transpose(k, 2, 3)) * 0.5,
                                                raw::logical_not(mask.materialize(2, 3, 20, 25)), -INFINITY),
                                    -1),
                            v);
  CHECK(relative_diff(fused, ref) < 1e-12);
}

TEST_CASE("flash attention rejects bad inputs", "[attention][flash]") {
  Generator gen(8);
  const Tensor q = randn({1, 2, 5, 4}, gen);
  CHECK_THROWS_AS(flash_attention(q, randn({1, 2, 6, 3}, gen), randn({1, 2, 6, 4}, gen), {}, 1.0), Error);
  CHECK_THROWS_AS(flash_attention(q, randn({1, 2, 6, 4}, gen), randn({1, 2, 7, 4}, gen), {}, 1.0), Error);
  CHECK_THROWS_AS(flash_attention(q, randn({1, 2, 6, 4}, gen, Dtype::float64), randn({1, 2, 6, 4}, gen), {}, 1.0),
                  Error);
  CHECK_THROWS_AS(flash_attention(q, q, q, AttentionMask::key_padding(zeros({2, 5}, Dtype::bool_)), 1.0), Error);
  CHECK_THROWS_AS(flash_attention(q, q, q, {}, 1.0, {-1, 64}), Error);
  CHECK_THROWS_AS(
      flash_attention(to_dtype(q, Dtype::int64), to_dtype(q, Dtype::int64), to_dtype(q, Dtype::int64), {}, 1.0), Error);
}

TEST_CASE("scaled_dot takes the fused path exactly when it may", "[attention][flash]") {
  Generator gen(9);
  MultiHeadAttentionConfig config;
  config.embed_dim = 16;
  config.num_heads = 4;
  config.dtype = Dtype::float64;
  MultiHeadAttention fused(config);
  config.options["fused"] = 0;
  MultiHeadAttention composed(config);
  Generator init(10);
  fused.reset_parameters(init);
  Generator init2(10);
  composed.reset_parameters(init2);
  Tensor x = randn({3, 70, 16}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(70, {0, 5, 69}));
  auto grads = [&](MultiHeadAttention& layer, bool need_weights) {
    layer.zero_grad();
    AttentionResult r = layer.forward(x, x, x, mask, need_weights);
    sum(r.out * r.out).backward();
    std::vector<Tensor> out{r.out.detach()};
    for (const Tensor& p : layer.parameters()) out.push_back(p.grad());
    return std::pair{out, r.weights};
  };
  const auto [a, no_weights] = grads(fused, false);
  const auto [b, unused] = grads(composed, false);
  CHECK_FALSE(no_weights.defined());
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(relative_diff(a[i], b[i]) < 1e-12);
  // need_weights = true takes the composed path and returns the weights.
  const auto [c, weights] = grads(fused, true);
  CHECK(weights.shape() == Shape{3, 4, 70, 70});
  for (size_t i = 0; i < a.size(); ++i) CHECK(relative_diff(c[i], b[i]) < 1e-12);
}

// ---- self-attention from one packed projection ----------------------------------------------

namespace {

// q, k, v (B, H, T, D) as the three thirds of qkv (B, T, 3·H·D), through differentiable views.
std::vector<Tensor> unpacked(const Tensor& qkv, int64_t heads) {
  const int64_t E = qkv.size(2) / 3;
  std::vector<Tensor> parts;
  for (int64_t part = 0; part < 3; ++part) {
    const Tensor third = narrow(qkv, 2, part * E, E);  // (B, T, E)
    parts.push_back(transpose(reshape(third, {qkv.size(0), qkv.size(1), heads, E / heads}), 1, 2));
  }
  return parts;
}

}  // namespace

TEST_CASE("flash attention from a packed qkv agrees with the three views, values and gradient", "[attention][flash]") {
  struct Packed {
    int64_t batch, heads, t, dh;
    AttentionMask mask;
    FlashAttentionTiles tiles;
    int threads;
  };
  const std::vector<Packed> cases = {
      {2, 3, 70, 8, AttentionMask::causal() & AttentionMask::key_padding(padding_mask(70, {0, 9})), {}, 2},
      {2, 3, 70, 8, AttentionMask::causal(), {16, 16}, 1},
      {1, 2, 40, 4, AttentionMask::key_padding(padding_mask(40, {40})), {16, 8}, 2},  // a fully padded row
      {3, 1, 9, 5, {}, {}, 2},
  };
  for (const Packed& c : cases) {
    const ThreadCount threads(c.threads);
    INFO("B " << c.batch << " H " << c.heads << " T " << c.t << " Dh " << c.dh << " threads " << c.threads);
    Generator gen(11);
    const Tensor x = randn({c.batch, c.t, 3 * c.heads * c.dh}, gen, Dtype::float64);
    const Tensor grad_out = randn({c.batch, c.heads, c.t, c.dh}, gen, Dtype::float64);
    const double scale = 0.4;
    Tensor a = x.detach().requires_grad_();
    const Tensor packed = flash_attention_packed(a, c.heads, c.mask, scale, c.tiles);
    sum(packed * grad_out).backward();
    Tensor b = x.detach().requires_grad_();
    const std::vector<Tensor> qkv = unpacked(b, c.heads);
    const Tensor separate = flash_attention(qkv[0], qkv[1], qkv[2], c.mask, scale, c.tiles);
    sum(separate * grad_out).backward();
    CHECK(packed.shape() == separate.shape());
    CHECK(relative_diff(packed, separate) < 1e-12);
    CHECK(all_finite(a.grad()));
    CHECK(relative_diff(a.grad(), b.grad()) < 1e-12);
  }
}

TEST_CASE("flash attention from a packed qkv: gradcheck in float64", "[attention][flash]") {
  Generator gen(12);
  for (const FlashAttentionTiles& tiles : {FlashAttentionTiles{}, FlashAttentionTiles{3, 4}}) {
    INFO("tiles " << tiles.query_block << "x" << tiles.key_block);
    std::vector<Tensor> inputs{randn({2, 7, 3 * 2 * 3}, gen, Dtype::float64).requires_grad_()};
    const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(7, {0, 3}));
    REQUIRE_NOTHROW(gradcheck(
        "flash_attention_packed",
        [&](const std::vector<Tensor>& in) { return flash_attention_packed(in[0], 2, mask, 0.7, tiles); }, inputs));
  }
}

TEST_CASE("flash attention from a packed qkv rejects a width that is not 3·H·Dh", "[attention][flash]") {
  Generator gen(13);
  CHECK_THROWS_WITH(flash_attention_packed(randn({2, 5, 20}, gen), 3, {}, 1.0),
                    Catch::Contains("flash_attention_packed") && Catch::Contains("[2, 5, 20]"));
  CHECK_THROWS_AS(flash_attention_packed(randn({2, 5, 18}, gen), 0, {}, 1.0), Error);
  CHECK_THROWS_AS(flash_attention_packed(randn({10, 18}, gen), 3, {}, 1.0), Error);
  CHECK_THROWS_AS(
      flash_attention_packed(randn({2, 5, 18}, gen), 3, AttentionMask::key_padding(zeros({3, 5}, Dtype::bool_)), 1.0),
      Error);
}

TEST_CASE("MultiHeadAttention packs the projections for self-attention only", "[attention][flash]") {
  Generator gen(14);
  MultiHeadAttentionConfig config;
  config.embed_dim = 12;
  config.num_heads = 3;
  config.dtype = Dtype::float64;
  MultiHeadAttention layer(config);
  Generator init(15);
  layer.reset_parameters(init);
  layer.eval();
  Tensor x = randn({2, 6, 12}, gen, Dtype::float64).requires_grad_();
  const auto mask = AttentionMask::causal();
  // Self-attention: one packed product.
  const Tensor self = layer.forward(x, x, x, mask).out;
  CHECK(to_dot(self).find("flash_attention_packed") != std::string::npos);
  // The same values as keys and values in another tensor: the three-projection path.
  Tensor copy = x.detach().clone().requires_grad_();
  const Tensor cross = layer.forward(x, copy, copy, mask).out;
  CHECK(to_dot(cross).find("flash_attention_packed") == std::string::npos);
  CHECK(relative_diff(self, cross) < 1e-12);
  // Weights requested: no fused kernel, so no packing; nor with the option "packed" = 0.
  CHECK(to_dot(layer.forward(x, x, x, mask, true).out).find("flash_attention_packed") == std::string::npos);
  MultiHeadAttentionConfig unpacked_config = config;
  unpacked_config.options["packed"] = 0;
  MultiHeadAttention unpacked(unpacked_config);
  CHECK(to_dot(unpacked.forward(x, x, x, mask).out).find("flash_attention_packed") == std::string::npos);
  // Gradients of every parameter and of x agree with the three-projection path (x feeding
  // query only there, copy feeding key and value: their sum is x's gradient when packed).
  auto grads = [&](const Tensor& out) {
    layer.zero_grad();
    sum(out * out).backward();
    std::vector<Tensor> g;
    for (const Tensor& p : layer.parameters()) g.push_back(p.grad().clone());
    return g;
  };
  const std::vector<Tensor> packed_grads = grads(self);
  const Tensor dx_packed = x.grad().clone();
  x.zero_grad();
  const std::vector<Tensor> separate_grads = grads(cross);
  REQUIRE(packed_grads.size() == separate_grads.size());
  for (size_t i = 0; i < packed_grads.size(); ++i) CHECK(relative_diff(packed_grads[i], separate_grads[i]) < 1e-12);
  CHECK(relative_diff(dx_packed, raw::add(x.grad(), copy.grad())) < 1e-12);
}
