// multi_head_attention.cpp — head split and merge around a pluggable attention variant.
#include "nn/attention/multi_head_attention.h"

#include <cmath>

#include "autograd/ops/index.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/views.h"
#include "nn/init.h"

namespace qkv {
namespace {

int64_t width_or(int64_t width, int64_t fallback) { return width == 0 ? fallback : width; }

const MultiHeadAttentionConfig& checked(const MultiHeadAttentionConfig& c) {
  check(c.embed_dim > 0 && c.num_heads > 0, "MultiHeadAttention: embed_dim {} and num_heads {} must be positive",
        c.embed_dim, c.num_heads);
  check(c.embed_dim % c.num_heads == 0, "MultiHeadAttention: embed_dim {} is not divisible by num_heads {}",
        c.embed_dim, c.num_heads);
  return c;
}

AttentionConfig core_config(const MultiHeadAttentionConfig& c) {
  AttentionConfig a;
  a.num_heads = c.num_heads;
  a.head_dim = c.embed_dim / c.num_heads;
  a.value_dim = a.head_dim;
  a.dropout = c.dropout;
  a.options = c.options;
  a.dtype = c.dtype;
  return a;
}

// (B, T, H·Dh) → (B, H, T, Dh), a view.
Tensor split_heads(const Tensor& x, int64_t heads) {
  return transpose(view(x, {x.size(0), x.size(1), heads, -1}), 1, 2);
}

// Whether a and b are the same tensor: one storage, layout and autograd identity.
bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.storage() == b.storage() && a.offset() == b.offset() && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.autograd_meta() == b.autograd_meta();
}

// (B, H, T, Dh) → (B, T, H·Dh), one copy.
Tensor merge_heads(const Tensor& x) {
  return reshape(transpose(x, 1, 2), {x.size(0), x.size(2), -1});
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionConfig& config)
    : config_(checked(config)),
      head_dim_(config.embed_dim / config.num_heads),
      q_proj_(config.embed_dim, config.embed_dim, config.bias, config.dtype),
      k_proj_(width_or(config.kdim, config.embed_dim), config.embed_dim, config.bias, config.dtype),
      v_proj_(width_or(config.vdim, config.embed_dim), config.embed_dim, config.bias, config.dtype),
      out_proj_(config.embed_dim, config.embed_dim, config.bias, config.dtype),
      attention_(make_attention(config.attention, core_config(config))) {}

void MultiHeadAttention::visit(ModuleVisitor& v) {
  v.module("q_proj", q_proj_);
  v.module("k_proj", k_proj_);
  v.module("v_proj", v_proj_);
  v.module("attention", *attention_);
  v.module("out_proj", out_proj_);
}

void MultiHeadAttention::reset_own_parameters(Generator& gen) {
  // Runs after the Linears' default initialisation (Module::reset_parameters is children first).
  const int64_t E = config_.embed_dim;
  const bool packed = q_proj_.weight().size(1) == E && k_proj_.weight().size(1) == E && v_proj_.weight().size(1) == E;
  for (Linear* proj : {&q_proj_, &k_proj_, &v_proj_}) {
    if (packed) {  // torch's packed in_proj_weight (3E, E): bound √(6 / (E + 3E))
      const double bound = std::sqrt(6.0 / static_cast<double>(4 * E));
      init_uniform_(proj->weight(), gen, -bound, bound);
    } else {
      init_xavier_uniform_(proj->weight(), gen);
    }
    if (proj->bias().defined()) init_constant_(proj->bias(), 0.0);
  }
  if (out_proj_.bias().defined()) init_constant_(out_proj_.bias(), 0.0);
}

AttentionResult MultiHeadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                            const AttentionMask& mask, bool need_weights) {
  const int64_t E = config_.embed_dim;
  check(query.dim() == 3 && query.size(2) == E, "MultiHeadAttention: query must be (B, Tq, {}), got {}", E,
        query.shape());
  check(key.dim() == 3 && value.dim() == 3 && key.size(0) == query.size(0) && value.size(0) == query.size(0) &&
            key.size(1) == value.size(1),
        "MultiHeadAttention: key {} and value {} must be (B, Tk, ·) with query's B = {}", key.shape(), value.shape(),
        query.size(0));
  const int64_t H = config_.num_heads;
  if (packs_self_attention(query, key, value, need_weights)) {
    // Self-attention: the three projections as one product, x·[Wq; Wk; Wv]ᵀ, read in place
    // by the variant; its backward gives one gradient, so dx is one product too.
    const Tensor weight = concat({q_proj_.weight(), k_proj_.weight(), v_proj_.weight()}, 0);  // (3E, E)
    const Tensor bias = config_.bias ? concat({q_proj_.bias(), k_proj_.bias(), v_proj_.bias()}, 0) : Tensor();
    const Tensor qkv = linear(query, weight, bias);                     // (B, T, 3E)
    return {out_proj_(merge_heads(attention_->forward_packed(qkv, mask))), Tensor()};  // (B, T, E)
  }
  const Tensor q = split_heads(q_proj_(query), H);  // (B, H, Tq, Dh)
  const Tensor k = split_heads(k_proj_(key), H);    // (B, H, Tk, Dh)
  const Tensor v = split_heads(v_proj_(value), H);  // (B, H, Tk, Dh)
  AttentionResult r = attention_->forward(q, k, v, mask, need_weights);
  r.out = out_proj_(merge_heads(r.out));  // (B, Tq, E)
  return r;
}

bool MultiHeadAttention::packs_self_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                              bool need_weights) const {
  const int64_t E = config_.embed_dim;
  return same_tensor(query, key) && same_tensor(query, value) && width_or(config_.kdim, E) == E &&
         width_or(config_.vdim, E) == E && attention_->packs_qkv(need_weights);
}

}  // namespace qkv
