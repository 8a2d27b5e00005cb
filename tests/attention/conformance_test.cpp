// conformance_test.cpp — every registered attention variant, checked automatically:
// output shapes for self- and cross-attention; future keys and values do not change causal
// outputs; padded keys and values do not change outputs; fully masked rows stay finite (and
// are zero); batch elements are independent; gradcheck with respect to q, k, v and the
// variant's own parameters. A new variant is tested here the moment it registers.
#include <catch2/catch.hpp>

#include <cmath>

#include "attention/attention_test_util.h"
#include "nn/attention/variant.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kHeads = 2;
constexpr int64_t kDim = 3;

std::unique_ptr<AttentionVariant> make_variant(const std::string& name) {
  return attention_test::make_variant(name, kHeads, kDim, 5);  // eval: no dropout, no random key sampling
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

}  // namespace

TEST_CASE("every attention variant conforms", "[attention][conformance]") {
  const auto variants = attention_variants();
  REQUIRE(variants.size() >= 2);
  for (const RegistryEntry& entry : variants) {
    const std::string& name = entry.name;
    SECTION(name) {
      INFO("variant: " << name);
      auto attn = make_variant(name);
      Generator gen(17);

      // Shapes: self-attention (Tq = Tk) and cross-attention (Tq != Tk).
      for (auto [tq, tk] : {std::pair<int64_t, int64_t>{5, 5}, {3, 6}}) {
        Qkv x = random_qkv(gen, 2, tq, tk);
        AttentionResult r = attn->forward(x.q, x.k, x.v, {}, true);
        REQUIRE(r.out.shape() == Shape{2, kHeads, tq, kDim});
        REQUIRE(r.weights.shape() == Shape{2, kHeads, tq, tk});
        CHECK(all_finite(r.out));
      }

      // Causal: keys and values after position t do not change outputs at positions <= t.
      {
        Qkv x = random_qkv(gen, 2, 6, 6);
        const auto causal = AttentionMask::causal();
        const Tensor base = attn->forward(x.q, x.k, x.v, causal, false).out;
        const Tensor changed =
            attn->forward(x.q, perturbed(x.k, 2, 3, 6, gen), perturbed(x.v, 2, 3, 6, gen), causal, false).out;
        CHECK(max_diff(raw::narrow(base, 2, 0, 3), raw::narrow(changed, 2, 0, 3)) < 1e-12);
      }

      // Padding: keys and values at padded positions do not change any output.
      {
        Qkv x = random_qkv(gen, 2, 4, 6);
        Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                   false, false, false, true, true, true},
                                 Shape{2, 6});
        const auto mask = AttentionMask::key_padding(pad);
        const Tensor base = attn->forward(x.q, x.k, x.v, mask, false).out;
        const Tensor changed =
            attn->forward(x.q, perturbed(x.k, 2, 4, 6, gen), perturbed(x.v, 2, 4, 6, gen), mask, false).out;
        CHECK(max_diff(raw::narrow(base, 0, 0, 1), raw::narrow(changed, 0, 0, 1)) < 1e-12);
        const Tensor changed1 =
            attn->forward(x.q, perturbed(x.k, 2, 3, 6, gen), perturbed(x.v, 2, 3, 6, gen), mask, false).out;
        CHECK(max_diff(raw::narrow(base, 0, 1, 1), raw::narrow(changed1, 0, 1, 1)) < 1e-12);
      }

      // A fully masked query row gives a zero output and finite (zero) gradients.
      {
        Qkv x = random_qkv(gen, 1, 3, 4);
        Tensor q = x.q.clone().requires_grad_(), k = x.k.clone().requires_grad_(), v = x.v.clone().requires_grad_();
        Tensor allowed = ones({1, 1, 3, 4}, Dtype::bool_);
        raw::fill_(raw::select(raw::select(raw::select(allowed, 0, 0), 0, 0), 0, 1), 0.0);  // query 1 sees nothing
        const Tensor out = attn->forward(q, k, v, AttentionMask::allowing(allowed), false).out;
        CHECK(all_finite(out));
        CHECK(max_diff(raw::select(out, 2, 1), zeros({1, kHeads, kDim}, Dtype::float64)) == 0);
        sum(out * out).backward();
        CHECK(all_finite(q.grad()));
        CHECK(all_finite(k.grad()));
        CHECK(all_finite(v.grad()));
      }

      // Batch independence: changing batch element 1 leaves element 0 alone.
      {
        Qkv x = random_qkv(gen, 2, 4, 5);
        const Tensor base = attn->forward(x.q, x.k, x.v, {}, false).out;
        const Tensor changed = attn->forward(perturbed(x.q, 0, 1, 2, gen), perturbed(x.k, 0, 1, 2, gen),
                                             perturbed(x.v, 0, 1, 2, gen), {}, false)
                                   .out;
        CHECK(max_diff(raw::narrow(base, 0, 0, 1), raw::narrow(changed, 0, 0, 1)) < 1e-12);
      }

      // Prepared keys (variant.h): forward_prepared(q, prepare_keys(k), ...) is forward(q, k, ...),
      // one query at a time as a recurrent decoder asks, and its gradients reach k through
      // prepare_keys. Position-tied variants (local, strided) place query i at key position
      // i + (Tk - Tq), so a query's result depends on how many come with it: they get all three
      // queries in one call.
      {
        const int64_t per_call = attn->position_tied() ? 3 : 1;
        Qkv x = random_qkv(gen, 2, 3, 6);
        Tensor pad = from_vector(std::vector<bool>{false, false, false, false, true, true,  //
                                                   false, false, false, false, false, false},
                                 Shape{2, 6});
        const auto mask = AttentionMask::key_padding(pad);
        const AttentionResult whole = attn->forward(x.q, x.k, x.v, mask, true);
        Tensor k = x.k.clone().requires_grad_();
        const Tensor prepared = attn->prepare_keys(k);
        Tensor loss = zeros({}, Dtype::float64);
        for (int64_t i = 0; i < 3; i += per_call) {
          const Tensor q_i = raw::contiguous(raw::narrow(x.q, 2, i, per_call));  // (B, H, per_call, Dh)
          const AttentionResult one = attn->forward_prepared(q_i, prepared, x.v, mask, true);
          CHECK(max_diff(one.out, raw::narrow(whole.out, 2, i, per_call)) < 1e-12);
          CHECK(max_diff(one.weights, raw::narrow(whole.weights, 2, i, per_call)) < 1e-12);
          loss = loss + sum(one.out * one.out);
        }
        loss.backward();
        CHECK(all_finite(k.grad()));
        if (attn->has_exact_gradient()) {
          Tensor k2 = x.k.clone().requires_grad_();
          const Tensor out = attn->forward(x.q, k2, x.v, mask, false).out;
          sum(out * out).backward();
          CHECK(max_diff(k.grad(), k2.grad()) < 1e-12);
        }
      }

      // Gradients with respect to q, k, v and the variant's own parameters, under a causal mask.
      {
        Qkv x = random_qkv(gen, 2, 4, 4);
        std::vector<Tensor> inputs{x.q.requires_grad_(), x.k.requires_grad_(), x.v.requires_grad_()};
        for (const Tensor& p : attn->parameters()) inputs.push_back(p);
        auto f = [&](const std::vector<Tensor>& in) {
          return attn->forward(in[0], in[1], in[2], AttentionMask::causal(), false).out;
        };
        if (attn->has_exact_gradient()) {
          REQUIRE_NOTHROW(gradcheck(name, f, inputs));
        } else {
          WARN("variant " << name << " declares a surrogate gradient: checking it is finite, not exact");
          sum(f(inputs)).backward();
          for (const Tensor& in : inputs) CHECK(all_finite(in.grad()));
        }
      }
    }
  }
}

TEST_CASE("every normaliser conforms under scaled dot-product scores", "[attention][conformance]") {
  for (const RegistryEntry& entry : normalisers()) {
    SECTION(entry.name) {
      auto attn = make_variant("scaled_dot+" + entry.name);
      Generator gen(19);
      Qkv x = random_qkv(gen, 2, 4, 4);
      std::vector<Tensor> inputs{x.q.requires_grad_(), x.k.requires_grad_(), x.v.requires_grad_()};
      REQUIRE_NOTHROW(gradcheck(
          entry.name,
          [&](const std::vector<Tensor>& in) {
            return attn->forward(in[0], in[1], in[2], AttentionMask::causal(), false).out;
          },
          inputs));
      // Masked keys get weight exactly zero: query 0 sees only key 0 under a causal mask.
      const Tensor w = attn->forward(x.q.detach(), x.k.detach(), x.v.detach(), AttentionMask::causal(), true).weights;
      const Tensor query0 = raw::select(raw::select(raw::select(w, 0, 0), 0, 0), 0, 0);  // (Tk) of batch 0, head 0
      CHECK(to_vector<double>(raw::narrow(query0, 0, 1, 3)) == std::vector<double>(3, 0.0));
    }
  }
}
