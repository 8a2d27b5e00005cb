// op_name.h — the name an op records its graph nodes under, and the list of every such name.
//
// A Node and a SavedTensor keep their op's name until backward, which may run long after the
// op returned, so the name must outlive them. OpName makes that a compile-time fact: it is
// built only from a string literal (consteval), which has static storage, and holds a view of
// it — no copy, no allocation per node. A formatted or runtime string does not compile:
//
//   record("exp", y, {x}, ...);                              // fine: a literal
//   record(fmt::format("{}_attention", kind), y, ...);       // error: not a constant literal
//
// The literal must also be one of `listed_op_names` below, or the consteval constructor fails
// to compile with a call to `op_name_is_not_listed_in_autograd_op_name_h`. The list is what
// tests/autograd/op_coverage_test.cpp walks: every name in it must appear in a graph built by
// a row of the gradcheck tables (gradcheck_table_test.cpp for the ops in autograd/ops/,
// gradcheck_fused_table_test.cpp for the fused ops above them), so a new op cannot skip its
// gradcheck. To add an op: add its name here and a row to one of those two tables.
//
// The names are only strings: listing the fused ops of nn/ here includes nothing from nn/.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace qkv {

// clang-format off
inline constexpr std::string_view listed_op_names[] = {
    // autograd/ops/elementwise.cpp
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "add_scalar", "mul_scalar", "pow_scalar",
    "neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "gelu", "where", "masked_fill",
    "clone", "to_dtype", "straight_through",
    // autograd/ops/views.cpp
    "view", "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "permute", "narrow", "slice",
    "select", "expand", "contiguous",
    // autograd/ops/reduce.cpp
    "sum", "mean", "max", "min", "logsumexp", "var", "softmax", "log_softmax",
    // autograd/ops/index.cpp, matmul.cpp, linear.cpp
    "gather", "index_select", "embedding", "concat", "stack", "matmul", "bmm", "linear",
    // nn/functional/
    "layer_norm", "cross_entropy", "linear_cross_entropy", "dropout", "relu_dropout",
    // nn/attention/flash_attention.cpp
    "flash_attention", "flash_attention_packed",
    // nn/attention/normalisers/ (sorted_rows.h)
    "sparsemax", "entmax15",
    // nn/attention/variants/linear.cpp
    "elu_plus_one", "prefix_linear_attention",
    // nn/attention/variants/per_position.cpp
    "per_position_scores", "per_position_pool",
    // nn/rnn/unbind_steps.cpp
    "unbind_steps",
};
// clang-format on

constexpr bool is_listed_op_name(std::string_view name) {
  for (std::string_view listed : listed_op_names) {
    if (listed == name) return true;
  }
  return false;
}

// Deliberately not constexpr and never defined: reaching it inside OpName's consteval
// constructor is a compile error whose message names the fix.
void op_name_is_not_listed_in_autograd_op_name_h();

class OpName {
 public:
  // From a string literal in listed_op_names (checked at compile time).
  template <std::size_t N>
  consteval OpName(const char (&literal)[N]) : name_(literal) {  // NOLINT: implicit on purpose
    if (!is_listed_op_name(name_)) op_name_is_not_listed_in_autograd_op_name_h();
  }

  // A name outside the list, for ops that tests define (a deliberately wrong backward, say).
  // Still a literal; op_coverage_test fails if library code outside tests/ calls this.
  template <std::size_t N>
  static consteval OpName unlisted(const char (&literal)[N]) {
    return OpName(std::string_view(literal));
  }

  constexpr std::string_view view() const { return name_; }
  constexpr operator std::string_view() const { return name_; }  // NOLINT: for messages and checks

 private:
  constexpr explicit OpName(std::string_view name) : name_(name) {}
  std::string_view name_;  // a view of a string literal: static storage, never dangles
};

}  // namespace qkv

template <>
struct fmt::formatter<qkv::OpName> : fmt::formatter<std::string_view> {
  auto format(qkv::OpName name, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(name.view(), ctx);
  }
};
