// gradcheck_fused_table_test.cpp — the second table: every fused op above autograd/ops/ (an op
// with its own forward kernel and hand-written backward: layer_norm, cross_entropy,
// linear_cross_entropy, dropout,
// relu_dropout,
// flash attention and its packed form, sparsemax, entmax15, linear attention's φ and prefix
// sums, per_position's scores and pool, unbind_steps) against central finite differences in
// float64, one row per op and mode.
// The ops of autograd/ops/ have the first table, gradcheck_table_test.cpp; op_coverage_test.cpp
// checks that the two together reach every op name the library records.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "attention/attention_test_util.h"
#include "autograd/gradcheck_tables.h"
#include "nn/attention/flash_attention.h"
#include "nn/functional.h"
#include "nn/rnn/unbind_steps.h"
#include "qkv.h"

using namespace qkv;
using namespace qkv::gradcheck_tables;
using attention_test::padding_mask;

namespace {

// Rows for cross_entropy in every mode: label smoothing off and on, times the three reductions,
// with ignored targets (-100) among the kept ones.
void add_cross_entropy_rows(std::vector<Row>& rows) {
  const char* reduction_names[] = {"none", "mean", "sum"};
  for (double smoothing : {0.0, 0.2}) {
    for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
      const CrossEntropyOptions o{-100, smoothing, reduction};
      rows.push_back({std::string("cross_entropy_") + (smoothing > 0 ? "smoothed_" : "") +
                          reduction_names[static_cast<int>(reduction)],
                      normals({{2, 3, 4}}), [o](const Inputs& x) {
                        const Tensor targets = from_vector(std::vector<int64_t>{0, 3, -100, 1, 2, -100}, Shape{2, 3});
                        return cross_entropy(x[0], targets, o);
                      }});
    }
  }
}

// Rows for linear_cross_entropy: x (2, 3, 4), weight (5, 4), bias (5) against targets with two
// ignored, in chunks of 2 rows (three chunks, the last one short) and of all rows at once; mean
// and sum, with and without smoothing, and without a bias.
void add_linear_cross_entropy_rows(std::vector<Row>& rows) {
  const auto targets = [] { return from_vector(std::vector<int64_t>{0, 3, -100, 4, 2, -100}, Shape{2, 3}); };
  struct Mode {
    const char* name;
    CrossEntropyOptions o;
    int64_t chunk_rows;
  };
  for (const Mode& m : {Mode{"mean_smoothed_chunks_of_2", {-100, 0.2, Reduction::mean}, 2},
                        Mode{"sum_one_chunk", {-100, 0.0, Reduction::sum}, 0},
                        Mode{"mean_chunks_of_4", {-100, 0.0, Reduction::mean}, 4}}) {
    rows.push_back({std::string("linear_cross_entropy_") + m.name, normals({{2, 3, 4}, {5, 4}, {5}}),
                    [m, targets](const Inputs& x) {
                      return linear_cross_entropy(x[0], x[1], x[2], targets(), m.o, m.chunk_rows);
                    }});
  }
  rows.push_back({"linear_cross_entropy_no_bias", normals({{2, 3, 4}, {5, 4}}), [targets](const Inputs& x) {
                    return linear_cross_entropy(x[0], x[1], Tensor(), targets(), {-100, 0.1, Reduction::mean}, 2);
                  }});
}

// q (2, 2, tq, 3), k (2, 2, tk, 3), v (2, 2, tk, dv): attention inputs.
auto attention_inputs(int64_t tq, int64_t tk, int64_t dv) {
  return normals({{2, 2, tq, 3}, {2, 2, tk, 3}, {2, 2, tk, dv}});
}

// A row through a float64 attention variant's forward (for ops that live inside a variant's file).
// need_weights = true takes a variant's dense path where it has a cheaper one without weights.
GradcheckFunction through_variant(const std::string& name, AttentionMask mask, bool need_weights = false) {
  std::shared_ptr<AttentionVariant> attn = attention_test::make_variant(name, 2, 3, 1);
  return
      [attn, mask, need_weights](const Inputs& x) { return attn->forward(x[0], x[1], x[2], mask, need_weights).out; };
}

}  // namespace

std::vector<Row> qkv::gradcheck_tables::fused_rows() {
  const FlashAttentionTiles small_tiles{3, 4};  // several tiles even at these sizes
  std::vector<Row> rows = {
      // nn/functional/
      {"layer_norm", normals({{2, 3, 5}, {5}, {5}}), [](const Inputs& x) { return layer_norm(x[0], x[1], x[2]); }},
      {"layer_norm_no_affine", normals({{2, 3, 5}}), [](const Inputs& x) { return layer_norm(x[0], {}, {}); }},
      {"mse_loss", normals({{3, 2}, {3, 2}}), [](const Inputs& x) { return mse_loss(x[0], x[1]); }},
      {"dropout", normals({{5, 7}}),
       [](const Inputs& x) {
         Generator gen(3);  // the same mask at every evaluation
         return dropout(x[0], 0.3, true, gen);
       }},
      {"relu_dropout", normals({{5, 7}}),
       [](const Inputs& x) {
         Generator gen(3);
         return relu_dropout(x[0], 0.3, true, gen);
       }},
      // nn/attention/flash_attention.cpp
      {"flash_attention", attention_inputs(5, 7, 2),
       [](const Inputs& x) { return flash_attention(x[0], x[1], x[2], {}, 0.7); }},
      {"flash_attention_causal_fewer_keys", attention_inputs(6, 4, 2),  // rows 0 and 1 see nothing
       [small_tiles](const Inputs& x) {
         return flash_attention(x[0], x[1], x[2], AttentionMask::causal(), 0.7, small_tiles);
       }},
      {"flash_attention_window_padding", attention_inputs(8, 9, 2),
       [small_tiles](const Inputs& x) {
         const auto mask = AttentionMask::window(2, 1) & AttentionMask::key_padding(padding_mask(9, {2, 9}));
         return flash_attention(x[0], x[1], x[2], mask, 0.7, small_tiles);
       }},
      {"flash_attention_packed", normals({{2, 7, 3 * 2 * 3}}),
       [small_tiles](const Inputs& x) {
         const auto mask = AttentionMask::causal() & AttentionMask::key_padding(padding_mask(7, {0, 3}));
         return flash_attention_packed(x[0], 2, mask, 0.7, small_tiles);
       }},
      // nn/attention/normalisers/
      {"sparsemax", normals({{2, 3, 6}}), [](const Inputs& x) { return find_normaliser("sparsemax")(x[0], Tensor()); }},
      {"sparsemax_masked", normals({{2, 3, 6}}),
       [](const Inputs& x) {
         const Tensor allowed = from_vector(std::vector<bool>{true, false, true, true, false, true,      //
                                                              false, false, false, false, false, false,  //
                                                              true, true, true, true, true, false},
                                            Shape{1, 3, 6});
         return find_normaliser("sparsemax")(x[0], allowed);
       }},
      {"entmax15",
       [](Generator& g) {
         return Inputs{randn({3, 7}, g, Dtype::float64, 0, 2).requires_grad_()};
       },
       [](const Inputs& x) { return find_normaliser("entmax15")(x[0], Tensor()); }},
      {"entmax15_masked",
       [](Generator& g) {
         return Inputs{randn({3, 7}, g, Dtype::float64, 0, 2).requires_grad_()};
       },
       [](const Inputs& x) {
         const Tensor allowed = from_vector(std::vector<bool>{true, true, false, true, true, true, false}, Shape{7});
         return find_normaliser("entmax15")(x[0], allowed);
       }},
      // nn/attention/variants/linear.cpp: φ = elu_plus_one, then prefix_linear_attention
      {"linear_attention_prefix", attention_inputs(4, 5, 4), through_variant("linear", {})},
      {"linear_attention_prefix_causal_padded", attention_inputs(5, 5, 4),
       through_variant("linear", AttentionMask::causal() & AttentionMask::key_padding(padding_mask(5, {0, 2})))},
      // nn/attention/variants/per_position.cpp: the dense scores (weights asked for), the O(N) pool
      {"per_position_scores", attention_inputs(4, 5, 4), through_variant("per_position", {}, /*need_weights=*/true)},
      {"per_position_pool_causal_padded", attention_inputs(5, 5, 4),
       through_variant("per_position", AttentionMask::causal() & AttentionMask::key_padding(padding_mask(5, {0, 2})))},
      // nn/rnn/unbind_steps.cpp
      {"unbind_steps", normals({{2, 4, 3}}),
       [](const Inputs& x) {
         const std::vector<Tensor> s = unbind_steps(x[0], 1);  // 4 × (2, 3)
         // Slice 2 is unused, slice 0 used twice, the rest mixed nonlinearly.
         return stack({tanh(s[0]) * s[3], s[1] + s[0] * 2.0, s[3] * s[3]}, 0);
       }},
  };
  add_cross_entropy_rows(rows);
  add_linear_cross_entropy_rows(rows);
  return rows;
}

TEST_CASE("every fused op passes a float64 gradcheck", "[autograd][gradcheck]") { gradcheck_rows(fused_rows(), 2000); }
