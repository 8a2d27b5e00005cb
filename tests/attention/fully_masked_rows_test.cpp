// fully_masked_rows_test.cpp — PyTorch issue #41508 in qkv: when key padding and a causal mask
// together leave a query row no key at all (a left-padded sequence under a causal mask, or a
// cross-attention row whose only visible keys are padding), torch 1.13's nn.MultiheadAttention
// returns NaN for that row and NaN gradients everywhere. qkv's MultiHeadAttention gives the row
// zero attention (so its output is out_proj's bias, zero at initialisation), and finite
// gradients — zero for the positions that take part in no allowed pair — on both the fused and
// the composed path. (tests/parity/mha_parity.py shows the NaN on the torch side.)
#include <catch2/catch.hpp>

#include "attention/attention_test_util.h"
#include "nn/attention/multi_head_attention.h"
#include "qkv.h"
#include "tensor/views.h"

using namespace qkv;
using namespace qkv::attention_test;

namespace {

constexpr int64_t kEmbed = 8;
constexpr int64_t kHeads = 2;

enum class Path { fused, composed_with_weights, composed_forced };

const char* path_name(Path p) {
  return p == Path::fused                   ? "fused"
         : p == Path::composed_with_weights ? "composed (need_weights)"
                                            : "composed (fused=0)";
}

MultiHeadAttention make_mha(Path path, int64_t kdim = 0, int64_t vdim = 0) {
  MultiHeadAttentionConfig config;
  config.embed_dim = kEmbed;
  config.num_heads = kHeads;
  config.kdim = kdim;
  config.vdim = vdim;
  config.dtype = Dtype::float64;
  if (path == Path::composed_forced) config.options["fused"] = 0;
  MultiHeadAttention mha(config);
  Generator gen(41508);
  mha.reset_parameters(gen);  // as torch: out_proj.bias starts at zero
  mha.eval();
  return mha;
}

struct Run {
  Tensor out, weights, dquery, dkey, dvalue;
  std::vector<std::pair<std::string, Tensor>> param_grads;
};

// Forward and backward of Σ out ∘ grad_out; self-attention when key and value are undefined.
Run run(MultiHeadAttention& mha, Path path, const Tensor& query_in, const Tensor& key_in, const Tensor& value_in,
        const AttentionMask& mask, const Tensor& grad_out) {
  const bool self = !key_in.defined();
  Tensor query = query_in.detach().requires_grad_();
  Tensor key = self ? query : key_in.detach().requires_grad_();
  Tensor value = self ? query : value_in.detach().requires_grad_();
  mha.zero_grad();
  const AttentionResult r = mha.forward(query, key, value, mask, path == Path::composed_with_weights);
  sum(r.out * grad_out).backward();
  Run result{r.out.detach(),
             r.weights.defined() ? r.weights.detach() : Tensor(),
             query.grad(),
             self ? Tensor() : key.grad(),
             self ? Tensor() : value.grad(),
             {}};
  for (auto& [name, p] : mha.named_parameters()) result.param_grads.emplace_back(name, p.grad());
  return result;
}

// Every element of t[b, rows, ...] (a slice along dim 1) is exactly zero.
bool rows_zero(const Tensor& t, int64_t b, int64_t from, int64_t to) {
  const Tensor part = raw::narrow(raw::select(t, 0, b), 0, from, to - from);
  for (double v : to_vector<double>(part)) {
    if (v != 0.0) return false;
  }
  return true;
}

void check_finite_grads(const Run& r) {
  for (const auto& [name, g] : r.param_grads) {
    INFO("parameter " << name);
    REQUIRE(g.defined());
    CHECK(all_finite(g));
  }
  CHECK(all_finite(r.dquery));
  if (r.dkey.defined()) CHECK(all_finite(r.dkey));
  if (r.dvalue.defined()) CHECK(all_finite(r.dvalue));
}

}  // namespace

TEST_CASE("issue 41508: left padding with a causal mask gives zero rows and finite grads", "[attention][mha]") {
  // Batch 0 is left-padded by 2: under the causal mask query 0 sees only key 0 and query 1 only
  // keys 0 and 1 — all padding. Batch 1 is unpadded.
  const int64_t B = 2, T = 5;
  Generator gen(1);
  const Tensor x = randn({B, T, kEmbed}, gen, Dtype::float64);  // (B, T, E)
  const Tensor grad_out = randn({B, T, kEmbed}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(T, {2, 0}, /*left=*/true));

  std::vector<Run> runs;
  for (Path path : {Path::fused, Path::composed_with_weights, Path::composed_forced}) {
    INFO("path: " << path_name(path));
    MultiHeadAttention mha = make_mha(path);
    REQUIRE(rows_zero(raw::reshape(named_parameter(mha, "out_proj.bias"), {1, 1, kEmbed}), 0, 0, 1));
    const Run r = run(mha, path, x, {}, {}, mask, grad_out);
    CHECK(all_finite(r.out));
    CHECK(rows_zero(r.out, 0, 0, 2));        // the two rows with no allowed key: exactly zero
    CHECK_FALSE(rows_zero(r.out, 0, 2, 3));  // the first row with a real key is not
    check_finite_grads(r);
    // Positions 0 and 1 of batch 0 take part in no allowed (query, key) pair: zero gradient.
    CHECK(rows_zero(r.dquery, 0, 0, 2));
    CHECK_FALSE(rows_zero(r.dquery, 0, 2, T));
    if (path == Path::composed_with_weights) {
      REQUIRE(r.weights.shape() == Shape{B, kHeads, T, T});
      for (int64_t h = 0; h < kHeads; ++h) CHECK(rows_zero(raw::select(r.weights, 1, h), 0, 0, 2));
    }
    runs.push_back(r);
  }
  // The three paths agree on everything.
  for (size_t i = 1; i < runs.size(); ++i) {
    CHECK(relative_diff(runs[i].out, runs[0].out) < 1e-12);
    CHECK(relative_diff(runs[i].dquery, runs[0].dquery) < 1e-12);
    for (size_t p = 0; p < runs[0].param_grads.size(); ++p) {
      INFO("parameter " << runs[0].param_grads[p].first);
      CHECK(relative_diff(runs[i].param_grads[p].second, runs[0].param_grads[p].second) < 1e-12);
    }
  }
}

TEST_CASE("issue 41508: a cross-attention row whose visible keys are all padding stays finite", "[attention][mha]") {
  // Tq = 3 queries over Tk = 5 keys, causal with the bottom-right alignment: query i sees keys
  // j <= i + 2. Batch 0's first 3 keys are padding, so query 0 (keys 0..2) sees nothing.
  const int64_t B = 2, Tq = 3, Tk = 5, kdim = 5, vdim = 7;
  Generator gen(2);
  const Tensor query = randn({B, Tq, kEmbed}, gen, Dtype::float64);  // (B, Tq, E)
  const Tensor key = randn({B, Tk, kdim}, gen, Dtype::float64);      // (B, Tk, kdim)
  const Tensor value = randn({B, Tk, vdim}, gen, Dtype::float64);    // (B, Tk, vdim)
  const Tensor grad_out = randn({B, Tq, kEmbed}, gen, Dtype::float64);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(Tk, {3, 1}, /*left=*/true));
  for (Path path : {Path::fused, Path::composed_with_weights, Path::composed_forced}) {
    INFO("path: " << path_name(path));
    MultiHeadAttention mha = make_mha(path, kdim, vdim);
    const Run r = run(mha, path, query, key, value, mask, grad_out);
    CHECK(all_finite(r.out));
    CHECK(rows_zero(r.out, 0, 0, 1));
    CHECK_FALSE(rows_zero(r.out, 0, 1, 2));
    check_finite_grads(r);
    CHECK(rows_zero(r.dquery, 0, 0, 1));
    CHECK(rows_zero(r.dkey, 0, 0, 3));  // padded keys get no gradient
    CHECK(rows_zero(r.dvalue, 0, 0, 3));
    CHECK_FALSE(rows_zero(r.dkey, 0, 3, Tk));
  }
}

TEST_CASE("issue 41508: MultiHeadAttention gradcheck with fully masked rows", "[attention][mha]") {
  // float64 finite differences through the whole layer (inputs and every parameter), fused path.
  const int64_t B = 2, T = 4;
  Generator gen(3);
  MultiHeadAttention mha = make_mha(Path::fused);
  const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(T, {2, 1}, /*left=*/true));
  std::vector<Tensor> inputs{randn({B, T, kEmbed}, gen, Dtype::float64).requires_grad_()};
  for (const Tensor& p : mha.parameters()) inputs.push_back(p);
  REQUIRE_NOTHROW(gradcheck(
      "MultiHeadAttention (fully masked rows)",
      [&](const std::vector<Tensor>& in) { return mha.forward(in[0], in[0], in[0], mask).out; }, inputs));
}
