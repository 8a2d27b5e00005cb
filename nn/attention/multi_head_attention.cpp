// multi_head_attention.cpp — head split and merge around a pluggable attention variant, whole
// (forward) or in the two halves cached decoding uses (project_key_values, attend).
#include "nn/attention/multi_head_attention.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/index.h"
#include "autograd/ops/linear.h"
#include "autograd/ops/views.h"
#include "nn/init.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

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
Tensor merge_heads(const Tensor& x) { return reshape(transpose(x, 1, 2), {x.size(0), x.size(2), -1}); }

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
  if (packs_self_attention(query, key, value, need_weights)) {
    // Self-attention: the three projections as one product, x·[Wq; Wk; Wv]ᵀ, read in place
    // by the variant; its backward gives one gradient, so dx is one product too.
    const Tensor weight = concat({q_proj_.weight(), k_proj_.weight(), v_proj_.weight()}, 0);  // (3E, E)
    const Tensor bias = config_.bias ? concat({q_proj_.bias(), k_proj_.bias(), v_proj_.bias()}, 0) : Tensor();
    const Tensor qkv = linear(query, weight, bias);                                    // (B, T, 3E)
    return {out_proj_(merge_heads(attention_->forward_packed(qkv, mask))), Tensor()};  // (B, T, E)
  }
  const Tensor q = project_queries(query);                                     // (B, H, Tq, Dh)
  return attend_heads(q, project_key_values(key, value), mask, need_weights);  // (B, Tq, E)
}

KeyValues MultiHeadAttention::project_key_values(const Tensor& key, const Tensor& value) {
  check(key.dim() == 3 && value.dim() == 3 && key.size(0) == value.size(0) && key.size(1) == value.size(1),
        "MultiHeadAttention::project_key_values: key {} and value {} must be (B, Tk, ·) with the same B and Tk",
        key.shape(), value.shape());
  const int64_t H = config_.num_heads;
  return {split_heads(k_proj_(key), H), split_heads(v_proj_(value), H)};  // (B, H, Tk, Dh) each
}

AttentionResult MultiHeadAttention::attend(const Tensor& query, const KeyValues& kv, const AttentionMask& mask,
                                           bool need_weights) {
  const int64_t E = config_.embed_dim;
  check(query.dim() == 3 && query.size(2) == E && !kv.empty() && kv.k.size(0) == query.size(0),
        "MultiHeadAttention::attend: query must be (B, Tq, {}) with the keys' B, got query {} and keys {}", E,
        query.shape(), kv.empty() ? Shape{} : kv.k.shape());
  return attend_heads(project_queries(query), kv, mask, need_weights);
}

Tensor MultiHeadAttention::attend_step(const Tensor& x, KeyValues& past) {
  const int64_t E = config_.embed_dim;
  check(x.dim() == 3 && x.size(2) == E && (past.empty() || past.k.size(0) == x.size(0)),
        "MultiHeadAttention::attend_step: x must be (B, Tn, {}) with the cache's B, got x {} and cached keys {}", E,
        x.shape(), past.empty() ? Shape{} : past.k.shape());
  past.append(project_key_values(x, x));  // (B, H, Tk + Tn, Dh)
  return attend(x, past, AttentionMask::causal()).out;
}

Tensor MultiHeadAttention::project_queries(const Tensor& query) {
  return split_heads(q_proj_(query), config_.num_heads);  // (B, H, Tq, Dh)
}

AttentionResult MultiHeadAttention::attend_heads(const Tensor& q, const KeyValues& kv, const AttentionMask& mask,
                                                 bool need_weights) {
  AttentionResult r = attention_->forward(q, kv.k, kv.v, mask, need_weights);  // (B, H, Tq, Dh)
  r.out = out_proj_(merge_heads(r.out));                                       // (B, Tq, E)
  return r;
}

bool MultiHeadAttention::packs_self_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                              bool need_weights) const {
  const int64_t E = config_.embed_dim;
  return same_tensor(query, key) && same_tensor(query, value) && width_or(config_.kdim, E) == E &&
         width_or(config_.vdim, E) == E && attention_->packs_qkv(need_weights);
}

namespace {

// A (B, H, capacity, D) buffer holding x (B, H, T, D) in its first T positions.
Tensor room_for(const Tensor& x, int64_t capacity) {
  Shape shape = x.shape();
  shape[2] = capacity;
  Tensor room = Tensor::empty(shape, x.dtype());
  raw::copy_(raw::narrow(room, 2, 0, x.size(2)), x);
  return room;
}

}  // namespace

void KeyValues::append(const KeyValues& more) {
  const bool differentiable = grad_enabled() && (more.k.requires_grad() || more.v.requires_grad() ||
                                                 (!empty() && (k.requires_grad() || v.requires_grad())));
  if (differentiable) {
    const bool first = empty();
    k = first ? more.k : concat({k, more.k}, 2);  // (B, H, Tk + Tn, Dh)
    v = first ? more.v : concat({v, more.v}, 2);
    k_room_ = v_room_ = Tensor();
    return;
  }
  const int64_t had = empty() ? 0 : k.size(2), length = had + more.k.size(2);
  // The room is written in place only while this cache alone holds it (room and view): a copy of
  // the cache appending too would write the same positions.
  const bool own_room = k_room_.defined() && k_room_.storage().use_count() == 2 && v_room_.storage().use_count() == 2 &&
                        k_room_.size(2) >= length;
  if (!own_room) {  // a new buffer, twice as long as needed
    const int64_t capacity = std::max<int64_t>(16, 2 * length);
    k_room_ = empty() ? room_for(more.k, capacity) : room_for(k, capacity);
    v_room_ = empty() ? room_for(more.v, capacity) : room_for(v, capacity);
    if (empty()) {
      k = raw::narrow(k_room_, 2, 0, length);
      v = raw::narrow(v_room_, 2, 0, length);
      return;
    }
  }
  raw::copy_(raw::narrow(k_room_, 2, had, more.k.size(2)), more.k);
  raw::copy_(raw::narrow(v_room_, 2, had, more.v.size(2)), more.v);
  k = raw::narrow(k_room_, 2, 0, length);
  v = raw::narrow(v_room_, 2, 0, length);
}

KeyValues KeyValues::select_rows(const Tensor& rows) const {
  if (empty()) return *this;
  if (!k_room_.defined()) return {index_select(k, 0, rows), index_select(v, 0, rows)};
  KeyValues out;  // the rows of the buffers, room included, so the next append writes in place
  out.k_room_ = index_select(k_room_, 0, rows);
  out.v_room_ = index_select(v_room_, 0, rows);
  out.k = raw::narrow(out.k_room_, 2, 0, k.size(2));
  out.v = raw::narrow(out.v_room_, 2, 0, v.size(2));
  return out;
}

}  // namespace qkv
