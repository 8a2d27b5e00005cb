// bf16_layers_test.cpp — layers and a whole model with bf16 matrix products (tensor/precision.h)
// against the same in fp32: Linear, linear_cross_entropy, the fused flash-attention kernel
// alone (64×64×64 tiles, large enough for bf16: bf16_pays) and multi-head attention, forward and
// backward, agree to bf16's precision and differ from fp32 by more than fp32 rounding (so the
// bf16 products really ran); a tiny Transformer learns the copy task in both precisions.
// Skipped with a warning where bf16 products cannot run.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "nn/attention/flash_attention.h"
#include "qkv.h"
#include "tensor/bf16_gemm.h"
#include "tensor/bf16_here.h"
#include "tensor/matmul.h"
#include "tensor/precision.h"

using namespace qkv;
using namespace qkv::models;
using qkv::test::bf16_here;

namespace {

// ‖got - want‖ / ‖want‖ over all elements.
double relative_error(const Tensor& got, const Tensor& want) {
  const std::vector<double> g = to_vector<double>(got);
  const std::vector<double> w = to_vector<double>(want);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    diff += (g[i] - w[i]) * (g[i] - w[i]);
    norm += w[i] * w[i];
  }
  return std::sqrt(diff / norm);
}

// A layer's output and its inputs' and parameters' gradients for sum(output · grad_out).
std::vector<Tensor> forward_backward(const std::function<Tensor()>& forward, const std::vector<Tensor>& leaves,
                                     const Tensor& grad_out) {
  for (Tensor t : leaves) t.zero_grad();  // copies share the gradient slot
  const Tensor out = forward();
  sum(mul(out, grad_out)).backward();
  std::vector<Tensor> results = {out.detach()};
  for (const Tensor& t : leaves) results.push_back(t.grad().clone());
  return results;
}

// Every result of `forward` in bf16 within `tolerance` (relative, norm-wise) of fp32's, and at
// least one farther than fp32 rounding could explain.
void require_bf16_close(const std::function<Tensor()>& forward, const std::vector<Tensor>& leaves,
                        const Tensor& grad_out, double tolerance, const std::vector<std::string>& names) {
  const std::vector<Tensor> fp32 = forward_backward(forward, leaves, grad_out);
  std::vector<Tensor> bf16;
  {
    const PrecisionGuard guard(Precision::bf16);
    bf16 = forward_backward(forward, leaves, grad_out);
  }
  double largest = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    const double error = relative_error(bf16[i], fp32[i]);
    INFO(names[i] << ": relative error " << error);
    CHECK(error <= tolerance);
    largest = std::max(largest, error);
  }
  CHECK(largest > 1e-5);  // fp32 products alone would agree to ~1e-7
}

}  // namespace

// Norm-wise, random operands: each product term is off by at most 2·2^-8 relative, and the
// errors of K terms partly cancel, so a few times 2^-8 covers outputs and gradients alike.
constexpr double kLayerTolerance = 4 * 0.00390625;

TEST_CASE("Linear forward and backward with bf16 products agree with fp32", "[bf16][nn]") {
  if (!bf16_here()) return;
  Generator gen(21);
  Linear linear(128, 96);
  linear.reset_parameters(gen);
  const Tensor x = randn({4, 32, 128}, gen).requires_grad_();
  const Tensor grad_out = randn({4, 32, 96}, gen);
  require_bf16_close([&] { return linear.forward(x); }, {x, linear.weight(), linear.bias()}, grad_out, kLayerTolerance,
                     {"y", "dx", "dW", "db"});
}

TEST_CASE("linear_cross_entropy with bf16 products agrees with fp32", "[bf16][nn]") {
  if (!bf16_here()) return;
  Generator gen(24);
  // 128 rows in chunks of 40 (the last one 8 rows: below bf16_pays, so it stays fp32), 2,000
  // classes: every product of a full chunk is at least 40×2000×128 multiply-adds.
  const Tensor x = randn({4, 32, 128}, gen).requires_grad_();
  const Tensor w = randn({2000, 128}, gen, Dtype::float32, 0, 0.1).requires_grad_();
  const Tensor b = randn({2000}, gen).requires_grad_();
  std::vector<int64_t> t(128);
  for (size_t i = 0; i < t.size(); ++i) t[i] = i % 9 == 0 ? -100 : static_cast<int64_t>(gen.below(2000));
  const Tensor targets = from_vector(t, Shape{4, 32});
  const CrossEntropyOptions o{.ignore_index = -100, .label_smoothing = 0.1};
  require_bf16_close([&] { return linear_cross_entropy(x, w, b, targets, o, 40); }, {x, w, b}, full({}, 1.0),
                     kLayerTolerance, {"loss", "dx", "dW", "db"});
}

TEST_CASE("flash attention forward and backward with bf16 tile products agree with fp32", "[bf16][nn][attention]") {
  if (!bf16_here()) return;
  Generator gen(23);
  // (B, H, T, Dh) with T = 128 and Dh = 64: every tile product is 64×64×64.
  const Tensor q = randn({2, 2, 128, 64}, gen).requires_grad_();
  const Tensor k = randn({2, 2, 128, 64}, gen).requires_grad_();
  const Tensor v = randn({2, 2, 128, 64}, gen).requires_grad_();
  const Tensor grad_out = randn({2, 2, 128, 64}, gen);
  require_bf16_close([&] { return flash_attention(q, k, v, AttentionMask::causal(), 0.125); }, {q, k, v}, grad_out,
                     kLayerTolerance, {"out", "dq", "dk", "dv"});
}

TEST_CASE("multi-head attention forward and backward with bf16 products agree with fp32", "[bf16][nn][attention]") {
  if (!bf16_here()) return;
  Generator gen(22);
  MultiHeadAttentionConfig config;
  config.embed_dim = 128;
  config.num_heads = 2;  // Dh = 64
  MultiHeadAttention mha(config);
  mha.reset_parameters(gen);
  const Tensor x = randn({3, 70, 128}, gen).requires_grad_();  // 70: more than one 64-row tile
  const Tensor memory = randn({3, 45, 128}, gen).requires_grad_();
  const Tensor grad_out = randn({3, 70, 128}, gen);
  const Tensor wq = mha.q_proj().weight(), wo = mha.out_proj().weight();
  SECTION("causal self-attention") {
    require_bf16_close([&] { return mha.forward(x, x, x, AttentionMask::causal()).out; }, {x, wq, wo}, grad_out,
                       kLayerTolerance, {"out", "dx", "dWq", "dWo"});
  }
  SECTION("cross-attention") {
    require_bf16_close([&] { return mha.forward(x, memory, memory).out; }, {x, memory, wq, wo}, grad_out,
                       kLayerTolerance, {"out", "dx", "dmemory", "dWq", "dWo"});
  }
}

TEST_CASE("a tiny Transformer learns to copy random sequences with bf16 products as with fp32", "[bf16][models]") {
  if (!bf16_here()) return;
  // Vocabulary: 0 pad, 2 bos, 3 eos, 4..11 symbols; sequences of 5..8 symbols.
  constexpr int64_t kVocab = 12, kMax = 8;
  auto batch_of = [&](int64_t batch, Generator& gen) {
    std::vector<int64_t> src, tgt_in, tgt_out;
    std::vector<bool> pad;
    std::vector<std::vector<int64_t>> sequences;
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = 5 + static_cast<int64_t>(gen.below(4));
      std::vector<int64_t> seq;
      for (int64_t i = 0; i < len; ++i) seq.push_back(4 + static_cast<int64_t>(gen.below(kVocab - 4)));
      for (int64_t i = 0; i < kMax; ++i) {
        src.push_back(i < len ? seq[i] : 0);
        pad.push_back(i >= len);
      }
      for (int64_t i = 0; i <= kMax; ++i) {
        tgt_in.push_back(i == 0 ? 2 : (i <= len ? seq[i - 1] : 0));
        tgt_out.push_back(i < len ? seq[i] : (i == len ? 3 : 0));
      }
      sequences.push_back(seq);
    }
    return std::tuple{from_vector(src, {batch, kMax}), from_vector(pad, {batch, kMax}),
                      from_vector(tgt_in, {batch, kMax + 1}), from_vector(tgt_out, {batch, kMax + 1}), sequences};
  };
  // As tests/models/copy_task_test.cpp: trains on fresh batches until greedy decoding (in the
  // same precision) copies all of 100 held-out sequences, checked every 50 steps, or 1500 steps
  // have passed; returns that held-out exact match.
  auto train = [&](Precision precision) {
    const PrecisionGuard guard(precision);
    TransformerConfig c;
    c.source_vocab = c.target_vocab = kVocab;
    c.share_embeddings = true;
    c.d_model = 64;
    c.num_heads = 2;
    c.encoder_layers = c.decoder_layers = 1;
    c.ffn_dim = 128;
    c.dropout = 0.0;
    c.max_positions = 16;
    Transformer model(c);
    Generator init(2024), data(7);
    model.reset_parameters(init);
    Adam opt(model.parameters(), {.lr = 1e-3, .beta2 = 0.98, .eps = 1e-9});
    const Schedule schedule = warmup_inverse_sqrt_lr(5e-3, 60);
    const auto [test_src, test_pad, test_in, test_out, test_sequences] = batch_of(100, data);
    auto exact_match = [&] {
      const auto ids = greedy_decode(model, test_src, test_pad, DecodeOptions{});
      int64_t right = 0;
      for (size_t i = 0; i < ids.size(); ++i) right += ids[i] == test_sequences[i] ? 1 : 0;
      return static_cast<double>(right) / static_cast<double>(ids.size());
    };
    double accuracy = 0;
    for (int64_t step = 0; step < 1500 && accuracy < 1.0; ++step) {
      const auto [src, pad, tgt_in, tgt_out, sequences] = batch_of(32, data);
      opt.set_lr(schedule(opt.step_count()));
      opt.zero_grad();
      cross_entropy(model.forward(src, pad, tgt_in), tgt_out, {.ignore_index = 0}).backward();
      opt.step();
      if ((step + 1) % 50 == 0) accuracy = exact_match();
    }
    return accuracy;
  };
  const double fp32 = train(Precision::fp32);
  const double bf16 = train(Precision::bf16);
  INFO("held-out exact match: fp32 " << fp32 << ", bf16 " << bf16);
  CHECK(fp32 == 1.0);
  CHECK(bf16 == 1.0);
}
