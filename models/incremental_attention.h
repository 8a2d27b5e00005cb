// incremental_attention.h — MultiHeadAttention split into "project the keys and values" and
// "attend with them", so decoding can project each key/value once and keep it:
//
//   KeyValues memory_kv = project_key_values(cross_attn, memory);     // once per sentence
//   out = attend_projected(cross_attn, x_step, memory_kv, padding);   // every step, (B, 1, E)
//
//   KeyValues self_kv;                                                // grows one row a step
//   append_key_values(self_kv, project_key_values(self_attn, x_step));
//   out = attend_projected(self_attn, x_step, self_kv, AttentionMask::causal());
//
// attend_projected(m, q, project_key_values(m, kv_source), mask) computes exactly what
// m.forward(q, kv_source, kv_source, mask) computes (same projections, same variant, same
// mask alignment: a step's query is the last of Tk positions, mask.h), so the cached decoder
// reproduces the full one. What it does not do: variants that transform *queries* over time
// (conv with option "queries" = 1) see only the current query, and in cross-attention the
// position-tied patterns (local, strided) place query i at key position i + (S - T), which
// depends on the full target length T: neither is step-exact (tests/models/transformer_test.cpp).
#pragma once

#include "nn/attention/multi_head_attention.h"

namespace qkv::models {

struct KeyValues {
  Tensor k;  // (B, H, Tk, Dh)
  Tensor v;  // (B, H, Tk, Dh)
};

// The scoring variant inside `mha`, found through its visit (no pointer is stored anywhere).
AttentionVariant& attention_variant(MultiHeadAttention& mha);

// source (B, Tk, kdim) → keys and values split into heads.
KeyValues project_key_values(MultiHeadAttention& mha, const Tensor& source);

// cache ← cache ++ step along the time axis (cache may be empty: it becomes `step`).
void append_key_values(KeyValues& cache, const KeyValues& step);

// Rows `rows` (int64, 1-D) of the batch axis: beam reordering and dropping finished sentences.
KeyValues select_rows(const KeyValues& kv, const Tensor& rows);

// query (B, Tq, E) attending over projected keys/values → (B, Tq, E); the weights
// (B, H, Tq, Tk) go to *weights when it is not null.
Tensor attend_projected(MultiHeadAttention& mha, const Tensor& query, const KeyValues& kv, const AttentionMask& mask,
                        Tensor* weights = nullptr);

}  // namespace qkv::models
