// conformance_test.cpp — every registered attention variant, and scaled dot-product scores
// under every registered normaliser, checked automatically, one test case per property:
//   shapes            output and weight shapes for self- and cross-attention
//   causal            future keys and values do not change causal outputs
//   padding           padded keys and values do not change outputs
//   fully masked      a query row that sees nothing gives zero output and finite gradients
//   batch             batch elements are independent
//   prepared keys     forward_prepared(q, prepare_keys(k), ...) is forward(q, k, ...)
//   packed            self-attention from one packed projection is the plain forward
//   gradients         gradcheck with respect to q, k, v and the variant's own parameters
//   normalisers       masked keys get weight exactly zero
// Each case loops over every subject in its own section, so a failure names the property in the
// test name and the variant in the section and message. A new variant or normaliser is tested
// here the moment it registers.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "attention/attention_test_util.h"
#include "nn/attention/multi_head_attention.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kHeads = 2;
constexpr int64_t kDim = 3;

// Every registered variant (with its default normaliser), then "scaled_dot+<normaliser>" for
// every registered normaliser.
std::vector<std::string> subjects() {
  std::vector<std::string> names;
  for (const RegistryEntry& e : attention_variants()) names.push_back(e.name);
  for (const RegistryEntry& e : normalisers()) names.push_back("scaled_dot+" + e.name);
  return names;
}

// Runs `check` once per subject, each in its own section, with the subject named in every
// failure message.
void for_each_subject(const std::function<void(const std::string& name, AttentionVariant& attn)>& check) {
  const std::vector<std::string> names = subjects();
  REQUIRE(attention_variants().size() >= 2);
  REQUIRE(normalisers().size() >= 2);
  for (const std::string& name : names) {
    DYNAMIC_SECTION(name) {
      INFO("attention: " << name);
      auto attn = make_variant(name, kHeads, kDim, 5);  // eval: no dropout, no random key sampling
      check(name, *attn);
    }
  }
}

struct Qkv {
  Tensor q, k, v;
};

Qkv random_qkv(Generator& gen, int64_t batch, int64_t tq, int64_t tk) {
  return {randn({batch, kHeads, tq, kDim}, gen, Dtype::float64), randn({batch, kHeads, tk, kDim}, gen, Dtype::float64),
          randn({batch, kHeads, tk, kDim}, gen, Dtype::float64)};
}

// A copy of t with positions [from, to) of dimension `dim` replaced by fresh random values.
Tensor perturbed(const Tensor& t, int64_t dim, int64_t from, int64_t to, Generator& gen) {
  Tensor out = t.clone();
  Tensor part = raw::narrow(out, dim, from, to - from);
  raw::copy_(part, randn(part.shape(), gen, Dtype::float64, 0, 10));
  return out;
}

// Third `i` of a packed qkv (B, T, 3·H·Dh) as (B, H, T, Dh), differentiably.
Tensor packed_third(const Tensor& qkv, int64_t i) {
  const int64_t B = qkv.size(0), T = qkv.size(1);
  return permute(reshape(narrow(qkv, 2, i * kHeads * kDim, kHeads * kDim), {B, T, kHeads, kDim}), {0, 2, 1, 3});
}

}  // namespace

TEST_CASE("attention conformance: output shapes for self- and cross-attention", "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(17);
    for (auto [tq, tk] : {std::pair<int64_t, int64_t>{5, 5}, {3, 6}}) {
      INFO("Tq " << tq << ", Tk " << tk);
      Qkv x = random_qkv(gen, 2, tq, tk);
      AttentionResult r = attn.forward(x.q, x.k, x.v, {}, true);
      REQUIRE(r.out.shape() == Shape{2, kHeads, tq, kDim});
      REQUIRE(r.weights.shape() == Shape{2, kHeads, tq, tk});
      CHECK(all_finite(r.out));
    }
  });
}

TEST_CASE("attention conformance: keys after position t do not change causal outputs up to t",
          "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(18);
    Qkv x = random_qkv(gen, 2, 6, 6);
    const auto causal = AttentionMask::causal();
    const Tensor base = attn.forward(x.q, x.k, x.v, causal, false).out;
    const Tensor changed =
        attn.forward(x.q, perturbed(x.k, 2, 3, 6, gen), perturbed(x.v, 2, 3, 6, gen), causal, false).out;
    CHECK(max_diff(raw::narrow(base, 2, 0, 3), raw::narrow(changed, 2, 0, 3)) < 1e-12);
  });
}

TEST_CASE("attention conformance: padded keys and values do not change any output", "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(19);
    Qkv x = random_qkv(gen, 2, 4, 6);
    const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                     false, false, false, true, true, true},
                                   Shape{2, 6});
    const auto mask = AttentionMask::key_padding(pad);
    const Tensor base = attn.forward(x.q, x.k, x.v, mask, false).out;
    // Batch element 0 pads positions 4 and 5, element 1 positions 3 to 5.
    const Tensor changed0 =
        attn.forward(x.q, perturbed(x.k, 2, 4, 6, gen), perturbed(x.v, 2, 4, 6, gen), mask, false).out;
    CHECK(max_diff(raw::narrow(base, 0, 0, 1), raw::narrow(changed0, 0, 0, 1)) < 1e-12);
    const Tensor changed1 =
        attn.forward(x.q, perturbed(x.k, 2, 3, 6, gen), perturbed(x.v, 2, 3, 6, gen), mask, false).out;
    CHECK(max_diff(raw::narrow(base, 0, 1, 1), raw::narrow(changed1, 0, 1, 1)) < 1e-12);
  });
}

TEST_CASE("attention conformance: a fully masked query row gives zero output and finite gradients",
          "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(20);
    Qkv x = random_qkv(gen, 1, 3, 4);
    Tensor q = x.q.clone().requires_grad_(), k = x.k.clone().requires_grad_(), v = x.v.clone().requires_grad_();
    Tensor allowed = ones({1, 1, 3, 4}, Dtype::bool_);
    raw::fill_(raw::select(raw::select(raw::select(allowed, 0, 0), 0, 0), 0, 1), 0.0);  // query 1 sees nothing
    const Tensor out = attn.forward(q, k, v, AttentionMask::allowing(allowed), false).out;
    CHECK(all_finite(out));
    CHECK(max_diff(raw::select(out, 2, 1), zeros({1, kHeads, kDim}, Dtype::float64)) == 0);
    sum(out * out).backward();
    CHECK(all_finite(q.grad()));
    CHECK(all_finite(k.grad()));
    CHECK(all_finite(v.grad()));
  });
}

TEST_CASE("attention conformance: batch elements are independent", "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(21);
    Qkv x = random_qkv(gen, 2, 4, 5);
    const Tensor base = attn.forward(x.q, x.k, x.v, {}, false).out;
    const Tensor q = perturbed(x.q, 0, 1, 2, gen), k = perturbed(x.k, 0, 1, 2, gen), v = perturbed(x.v, 0, 1, 2, gen);
    const Tensor changed = attn.forward(q, k, v, {}, false).out;
    CHECK(max_diff(raw::narrow(base, 0, 0, 1), raw::narrow(changed, 0, 0, 1)) < 1e-12);
  });
}

// Prepared keys (variant.h): forward_prepared(q, prepare_keys(k), ...) is forward(q, k, ...), one
// query at a time as a recurrent decoder asks, and its gradients reach k through prepare_keys.
// Position-tied variants (local, strided) place query i at key position i + (Tk - Tq), so a
// query's result depends on how many come with it: they get all three queries in one call.
TEST_CASE("attention conformance: forward_prepared on prepared keys is forward", "[attention][conformance]") {
  for_each_subject([](const std::string&, AttentionVariant& attn) {
    Generator gen(22);
    const int64_t per_call = attn.position_tied() ? 3 : 1;
    Qkv x = random_qkv(gen, 2, 3, 6);
    const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                     false, false, false, false, false, false},
                                   Shape{2, 6});
    const auto mask = AttentionMask::key_padding(pad);
    const AttentionResult whole = attn.forward(x.q, x.k, x.v, mask, true);
    Tensor k = x.k.clone().requires_grad_();
    const Tensor prepared = attn.prepare_keys(k);
    Tensor loss = zeros({}, Dtype::float64);
    for (int64_t i = 0; i < 3; i += per_call) {
      INFO("queries from " << i);
      const Tensor q_i = raw::contiguous(raw::narrow(x.q, 2, i, per_call));  // (B, H, per_call, Dh)
      const AttentionResult one = attn.forward_prepared(q_i, prepared, x.v, mask, true);
      CHECK(max_diff(one.out, raw::narrow(whole.out, 2, i, per_call)) < 1e-12);
      CHECK(max_diff(one.weights, raw::narrow(whole.weights, 2, i, per_call)) < 1e-12);
      loss = loss + sum(one.out * one.out);
    }
    loss.backward();
    CHECK(all_finite(k.grad()));
    if (attn.has_exact_gradient()) {
      Tensor k2 = x.k.clone().requires_grad_();
      const Tensor out = attn.forward(x.q, k2, x.v, mask, false).out;
      sum(out * out).backward();
      CHECK(max_diff(k.grad(), k2.grad()) < 1e-12);
    }
  });
}

// Packed self-attention (variant.h, packs_qkv): a variant that takes q, k and v as the three
// thirds of one (B, T, 3·H·Dh) tensor must give the plain forward's output on those thirds, and
// the same gradient; none may claim to pack when weights are requested (forward_packed returns
// none). MultiHeadAttention's self-attention, which takes the packed path when it can, must
// equal its cross-attention path on the same input, parameters and gradients included.
TEST_CASE("attention conformance: packed self-attention is the plain forward", "[attention][conformance]") {
  // The default packs (its fused kernel), so the variant-level half below is never vacuous.
  REQUIRE(make_variant("scaled_dot", kHeads, kDim, 5)->packs_qkv(false));
  for_each_subject([](const std::string& name, AttentionVariant& attn) {
    CHECK_FALSE(attn.packs_qkv(true));
    Generator gen(23);
    const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, false, false,  //
                                                     false, false, false, false, true, true},
                                   Shape{2, 6});
    const std::vector<std::pair<std::string, AttentionMask>> masks = {
        {"no mask", {}},
        {"causal", AttentionMask::causal()},
        {"causal and key padding", AttentionMask::causal() & AttentionMask::key_padding(pad)}};
    if (attn.packs_qkv(false)) {
      for (const auto& [mask_name, mask] : masks) {
        INFO("variant-level, mask: " << mask_name);
        const Tensor x = randn({2, 6, 3 * kHeads * kDim}, gen, Dtype::float64);
        const Tensor dout = randn({2, kHeads, 6, kDim}, gen, Dtype::float64);
        Tensor a = x.clone().requires_grad_(), b = x.clone().requires_grad_();
        const Tensor packed = attn.forward_packed(a, mask);
        const Tensor plain = attn.forward(packed_third(b, 0), packed_third(b, 1), packed_third(b, 2), mask, false).out;
        REQUIRE(packed.shape() == plain.shape());
        CHECK(relative_diff(packed, plain) < 1e-12);
        sum(packed * dout).backward();
        sum(plain * dout).backward();
        CHECK(relative_diff(a.grad(), b.grad()) < 1e-12);
      }
    }
    // Through MultiHeadAttention: query = key = value (packed when the variant packs) against the
    // same input passed as three different tensors (always the three separate projections).
    MultiHeadAttentionConfig config;
    config.embed_dim = kHeads * kDim;
    config.num_heads = kHeads;
    config.attention = name;
    config.dtype = Dtype::float64;
    MultiHeadAttention self_mha(config), cross_mha(config);
    Generator init_a(5), init_b(5);
    self_mha.reset_parameters(init_a);
    cross_mha.reset_parameters(init_b);
    self_mha.eval();
    cross_mha.eval();
    for (const auto& [mask_name, mask] : masks) {
      INFO("MultiHeadAttention, mask: " << mask_name);
      const Tensor x = randn({2, 6, kHeads * kDim}, gen, Dtype::float64);
      const Tensor dout = randn({2, 6, kHeads * kDim}, gen, Dtype::float64);
      self_mha.zero_grad();
      cross_mha.zero_grad();
      Tensor a = x.clone().requires_grad_(), b = x.clone().requires_grad_();
      const Tensor self_out = self_mha.forward(a, a, a, mask).out;
      const Tensor cross_out = cross_mha.forward(b, b * 1.0, b * 1.0, mask).out;
      CHECK(relative_diff(self_out, cross_out) < 1e-12);
      sum(self_out * dout).backward();
      sum(cross_out * dout).backward();
      CHECK(relative_diff(a.grad(), b.grad()) < 1e-12);
      const auto self_params = self_mha.named_parameters();
      const auto cross_params = cross_mha.named_parameters();
      REQUIRE(self_params.size() == cross_params.size());
      for (size_t i = 0; i < self_params.size(); ++i) {
        INFO("parameter " << self_params[i].first);
        CHECK(relative_diff(self_params[i].second.grad(), cross_params[i].second.grad()) < 1e-12);
      }
    }
  });
}

TEST_CASE("attention conformance: gradients for q, k, v and the variant's parameters pass gradcheck",
          "[attention][conformance][gradcheck]") {
  for_each_subject([](const std::string& name, AttentionVariant& attn) {
    Generator gen(24);
    Qkv x = random_qkv(gen, 2, 4, 4);
    std::vector<Tensor> inputs{x.q.requires_grad_(), x.k.requires_grad_(), x.v.requires_grad_()};
    for (const Tensor& p : attn.parameters()) inputs.push_back(p);
    auto f = [&](const std::vector<Tensor>& in) {
      return attn.forward(in[0], in[1], in[2], AttentionMask::causal(), false).out;
    };
    if (attn.has_exact_gradient()) {
      REQUIRE_NOTHROW(gradcheck(name, f, inputs));
    } else {
      WARN("variant " << name << " declares a surrogate gradient: checking it is finite, not exact");
      sum(f(inputs)).backward();
      for (const Tensor& in : inputs) CHECK(all_finite(in.grad()));
    }
  });
}

TEST_CASE("attention conformance: every normaliser gives masked keys weight exactly zero", "[attention][conformance]") {
  for (const RegistryEntry& entry : normalisers()) {
    DYNAMIC_SECTION(entry.name) {
      INFO("normaliser: " << entry.name);
      auto attn = make_variant("scaled_dot+" + entry.name, kHeads, kDim, 5);
      Generator gen(25);
      Qkv x = random_qkv(gen, 2, 4, 4);
      // Query 0 sees only key 0 under a causal mask.
      const Tensor w = attn->forward(x.q, x.k, x.v, AttentionMask::causal(), true).weights;
      const Tensor query0 = raw::select(raw::select(raw::select(w, 0, 0), 0, 0), 0, 0);  // (Tk) of batch 0, head 0
      CHECK(to_vector<double>(raw::narrow(query0, 0, 1, 3)) == std::vector<double>(3, 0.0));
    }
  }
}
