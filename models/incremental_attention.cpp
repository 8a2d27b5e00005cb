// incremental_attention.cpp — projections, head split and merge around a MultiHeadAttention's
// variant, for decoding with cached keys and values.
#include "models/incremental_attention.h"

#include "autograd/ops/index.h"
#include "autograd/ops/views.h"

namespace qkv::models {
namespace {

// Captures the "attention" submodule of a MultiHeadAttention without walking into anything.
class VariantFinder : public ModuleVisitor {
 public:
  void module(std::string_view name, Module& child) override {
    if (name == "attention") found = dynamic_cast<AttentionVariant*>(&child);
  }
  AttentionVariant* found = nullptr;
};

// (B, T, H·Dh) → (B, H, T, Dh), a view.
Tensor split_heads(const Tensor& x, int64_t heads) {
  return transpose(view(x, {x.size(0), x.size(1), heads, -1}), 1, 2);
}

}  // namespace

AttentionVariant& attention_variant(MultiHeadAttention& mha) {
  VariantFinder finder;
  mha.visit(finder);
  check(finder.found != nullptr, "attention_variant: MultiHeadAttention has no 'attention' submodule");
  return *finder.found;
}

KeyValues project_key_values(MultiHeadAttention& mha, const Tensor& source) {
  check(source.dim() == 3, "project_key_values: expected source (B, Tk, E), got {}", source.shape());
  const int64_t H = mha.config().num_heads;
  return {split_heads(mha.k_proj()(source), H), split_heads(mha.v_proj()(source), H)};  // (B, H, Tk, Dh) each
}

void append_key_values(KeyValues& cache, const KeyValues& step) {
  if (!cache.k.defined()) {
    cache = step;
    return;
  }
  cache.k = concat({cache.k, step.k}, 2);  // (B, H, Tk + 1, Dh)
  cache.v = concat({cache.v, step.v}, 2);
}

KeyValues select_rows(const KeyValues& kv, const Tensor& rows) {
  if (!kv.k.defined()) return kv;
  return {index_select(kv.k, 0, rows), index_select(kv.v, 0, rows)};
}

Tensor attend_projected(MultiHeadAttention& mha, const Tensor& query, const KeyValues& kv, const AttentionMask& mask,
                        Tensor* weights) {
  const int64_t E = mha.config().embed_dim, H = mha.config().num_heads;
  check(query.dim() == 3 && query.size(2) == E && kv.k.defined() && kv.k.size(0) == query.size(0),
        "attend_projected: query must be (B, Tq, {}) with the keys' B, got query {} and keys {}", E, query.shape(),
        kv.k.defined() ? kv.k.shape() : Shape{});
  const Tensor q = split_heads(mha.q_proj()(query), H);  // (B, H, Tq, Dh)
  AttentionResult r = attention_variant(mha).forward(q, kv.k, kv.v, mask, weights != nullptr);
  if (weights != nullptr) *weights = r.weights;                                              // (B, H, Tq, Tk)
  const Tensor merged = reshape(transpose(r.out, 1, 2), {query.size(0), query.size(1), E});  // (B, Tq, E)
  return mha.out_proj()(merged);
}

}  // namespace qkv::models
