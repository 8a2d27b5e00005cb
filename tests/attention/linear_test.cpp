// linear_test.cpp — "linear" attention: the O(T) prefix-sum form (causal, non-causal, key
// padding, Tq != Tk, Dv != Dh) equals the explicit quadratic reference built here from its
// formula; its op passes gradcheck and has the quadratic form's gradients; masks without a
// prefix-sum form (allowed tensors, windows) fall back to the quadratic form correctly.
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

std::unique_ptr<AttentionVariant> make_linear() { return make_variant("linear", 2, 3, 1); }

// φ(x) = elu(x) + 1, elementwise, without autograd.
Tensor phi(const Tensor& x) {
  return raw::where(raw::gt(x, zeros({}, x.dtype())), raw::add(x, 1.0),
                    raw::exp(raw::minimum(x, zeros({}, x.dtype()))));
}

// The quadratic reference: weights = φ(q)φ(k)ᵀ ⊙ allowed, rows normalised (empty rows 0).
Tensor reference_weights(const Tensor& q, const Tensor& k, const Tensor& allowed) {
  Tensor w = raw::contiguous(matmul(phi(q), raw::transpose(phi(k), -1, -2)));
  if (allowed.defined()) w = raw::where(allowed, w, zeros({}, w.dtype()));
  const Tensor den = raw::sum(w, {-1}, true);
  const Tensor safe = raw::where(raw::gt(den, zeros({}, den.dtype())), den, ones({}, den.dtype()));
  return raw::div(w, safe);
}

// (1, 1, Tq, Tk) causal in the library's alignment: key j <= i + (Tk - Tq).
Tensor causal_allowed(int64_t tq, int64_t tk) {
  Tensor a = Tensor::empty({1, 1, tq, tk}, Dtype::bool_);
  for (int64_t i = 0; i < tq; ++i) {
    for (int64_t j = 0; j < tk; ++j) a.data<bool>()[i * tk + j] = j <= i + (tk - tq);
  }
  return a;
}

}  // namespace

TEST_CASE("linear attention: the O(T) causal form equals the quadratic reference", "[attention][linear]") {
  auto attn = make_linear();
  Generator gen(3);
  // Tq = Tk; decoder-style Tq < Tk; Tq > Tk (the first queries see no key: zero output).
  for (auto [tq, tk] : {std::pair<int64_t, int64_t>{7, 7}, {3, 7}, {7, 4}}) {
    INFO("Tq " << tq << ", Tk " << tk);
    const Tensor q = randn({2, 2, tq, 3}, gen, Dtype::float64);
    const Tensor k = randn({2, 2, tk, 3}, gen, Dtype::float64);
    const Tensor v = randn({2, 2, tk, 5}, gen, Dtype::float64);  // Dv != Dh
    const Tensor ref_w = reference_weights(q, k, causal_allowed(tq, tk));
    const Tensor ref_out = matmul(ref_w, v);
    const AttentionResult r = attn->forward(q, k, v, AttentionMask::causal(), true);
    CHECK(max_diff(r.out, ref_out) < 1e-12);
    CHECK(max_diff(r.weights, ref_w) < 1e-12);
    CHECK(max_diff(attn->forward(q, k, v, AttentionMask::causal(), false).out, ref_out) < 1e-12);
    if (tq > tk) {  // queries 0..tq-tk-1 see no key
      CHECK(max_diff(raw::narrow(r.out, 2, 0, tq - tk), zeros({2, 2, tq - tk, 5}, Dtype::float64)) == 0);
    }
  }
}

TEST_CASE("linear attention: non-causal and key-padded forms equal the quadratic reference", "[attention][linear]") {
  auto attn = make_linear();
  Generator gen(4);
  const Tensor q = randn({2, 2, 4, 3}, gen, Dtype::float64);
  const Tensor k = randn({2, 2, 6, 3}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 6, 3}, gen, Dtype::float64);
  CHECK(max_diff(attn->forward(q, k, v, {}, false).out, matmul(reference_weights(q, k, Tensor()), v)) < 1e-12);

  // Batch 1 has every key padded: its output is zero.
  const Tensor pad = from_vector(std::vector<bool>{false, true, false, false, true, true,  //
                                                   true, true, true, true, true, true},
                                 Shape{2, 6});
  const Tensor keep = raw::reshape(raw::logical_not(pad), {2, 1, 1, 6});
  for (const bool causal : {false, true}) {
    INFO("causal " << causal);
    const auto mask =
        causal ? AttentionMask::causal() & AttentionMask::key_padding(pad) : AttentionMask::key_padding(pad);
    const Tensor allowed = causal ? raw::logical_and(keep, causal_allowed(4, 6)) : keep;
    const AttentionResult r = attn->forward(q, k, v, mask, true);
    const Tensor ref_w = reference_weights(q, k, allowed);
    CHECK(max_diff(r.out, matmul(ref_w, v)) < 1e-12);
    CHECK(max_diff(r.weights, ref_w) < 1e-12);
    CHECK(max_diff(raw::select(r.out, 0, 1), zeros({2, 4, 3}, Dtype::float64)) == 0);
  }
}

TEST_CASE("linear attention: the prefix-sum op passes gradcheck", "[attention][linear][gradcheck]") {
  auto attn = make_linear();
  Generator gen(5);
  const Tensor pad = from_vector(std::vector<bool>{false, false, false, true, true,  //
                                                   false, true, false, false, false},
                                 Shape{2, 5});
  struct Case {
    const char* name;
    int64_t tq, tk;
    AttentionMask mask;
  };
  const std::vector<Case> cases{
      {"non-causal", 4, 5, {}},
      {"causal", 5, 5, AttentionMask::causal()},
      {"causal, Tq < Tk", 3, 5, AttentionMask::causal()},
      {"causal, Tq > Tk", 6, 5, AttentionMask::causal()},
      {"key padding", 4, 5, AttentionMask::key_padding(pad)},
      {"causal and key padding", 5, 5, AttentionMask::causal() & AttentionMask::key_padding(pad)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<Tensor> in{randn({2, 2, c.tq, 3}, gen, Dtype::float64).requires_grad_(),
                           randn({2, 2, c.tk, 3}, gen, Dtype::float64).requires_grad_(),
                           randn({2, 2, c.tk, 4}, gen, Dtype::float64).requires_grad_()};
    REQUIRE_NOTHROW(gradcheck(
        c.name, [&](const std::vector<Tensor>& x) { return attn->forward(x[0], x[1], x[2], c.mask, false).out; }, in));
  }
}

TEST_CASE("linear attention: the O(T) op has the quadratic form's gradients", "[attention][linear]") {
  auto attn = make_linear();
  Generator gen(6);
  const Tensor pad = from_vector(std::vector<bool>{false, false, false, false, false, true, true, false}, Shape{1, 8});
  // An all-true `allowed` tensor changes nothing but forces the quadratic fallback.
  const auto causal = AttentionMask::causal() & AttentionMask::key_padding(pad);
  const auto quadratic = causal & AttentionMask::allowing(ones({1, 1, 8, 8}, Dtype::bool_));
  const Tensor q0 = randn({1, 2, 8, 3}, gen, Dtype::float64);
  const Tensor k0 = randn({1, 2, 8, 3}, gen, Dtype::float64);
  const Tensor v0 = randn({1, 2, 8, 3}, gen, Dtype::float64);
  const Tensor dout = randn({1, 2, 8, 3}, gen, Dtype::float64);
  std::vector<std::vector<Tensor>> grads;
  for (const AttentionMask* mask : {&causal, &quadratic}) {
    Tensor q = q0.clone().requires_grad_(), k = k0.clone().requires_grad_(), v = v0.clone().requires_grad_();
    sum(attn->forward(q, k, v, *mask, false).out * dout).backward();
    grads.push_back({q.grad(), k.grad(), v.grad()});
  }
  for (int i = 0; i < 3; ++i) CHECK(max_diff(grads[0][i], grads[1][i]) < 1e-12);
}

TEST_CASE("linear attention: windows and allowed masks fall back to the quadratic form", "[attention][linear]") {
  auto attn = make_linear();
  Generator gen(7);
  const Tensor q = randn({2, 2, 5, 3}, gen, Dtype::float64);
  const Tensor k = randn({2, 2, 5, 3}, gen, Dtype::float64);
  const Tensor v = randn({2, 2, 5, 3}, gen, Dtype::float64);
  const Tensor allowed = bernoulli({2, 1, 5, 5}, 0.6, gen, Dtype::bool_);
  for (const AttentionMask& mask : {AttentionMask::window(1, 1), AttentionMask::allowing(allowed),
                                    AttentionMask::causal() & AttentionMask::window(2, 0)}) {
    const AttentionResult r = attn->forward(q, k, v, mask, true);
    const Tensor ref_w = reference_weights(q, k, mask.materialize(2, 2, 5, 5));
    CHECK(max_diff(r.weights, ref_w) < 1e-12);
    CHECK(max_diff(r.out, matmul(ref_w, v)) < 1e-12);
  }
}

TEST_CASE("linear attention: float32 agrees with float64", "[attention][linear]") {
  auto attn = make_linear();
  Generator gen(8);
  const Tensor q = randn({1, 2, 6, 3}, gen, Dtype::float64);
  const Tensor k = randn({1, 2, 6, 3}, gen, Dtype::float64);
  const Tensor v = randn({1, 2, 6, 3}, gen, Dtype::float64);
  const Tensor out64 = attn->forward(q, k, v, AttentionMask::causal(), false).out;
  const Tensor out32 = attn->forward(raw::to_dtype(q, Dtype::float32), raw::to_dtype(k, Dtype::float32),
                                     raw::to_dtype(v, Dtype::float32), AttentionMask::causal(), false)
                           .out;
  REQUIRE(out32.dtype() == Dtype::float32);
  CHECK(max_diff(raw::to_dtype(out32, Dtype::float64), out64) < 1e-5);
}

TEST_CASE("linear attention uses no normaliser: naming one is an error, not silently ignored", "[attention][linear]") {
  CHECK_THROWS_WITH(attention_test::make_variant("linear+sparsemax", 2, 3, 1),
                    Catch::Contains("attention 'linear+sparsemax': linear uses no normaliser") &&
                        Catch::Contains("'+sparsemax' would be ignored"));
  // Variants that normalise scores take one, hard attention's surrogate included.
  for (const char* name : {"scaled_dot+sparsemax", "cosine+sigmoid", "hard+sigmoid", "per_position+entmax15"}) {
    CAPTURE(name);
    CHECK_NOTHROW(attention_test::make_variant(name, 2, 3, 1));
  }
}
