// gradcheck_table_test.cpp — every differentiable op of autograd/ops/ against central finite
// differences in float64, one line each (the fused ops above them have the second table,
// gradcheck_fused_table_test.cpp). Inputs are random; ops with a restricted domain get inputs
// inside it.
#include <catch2/catch.hpp>

#include <vector>

#include "autograd/gradcheck_tables.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace qkv::gradcheck_tables;

namespace {

Tensor ids(const std::vector<int64_t>& values, const Shape& shape) { return from_vector(values, shape); }

// A mask over [2, 3] with one fully masked row, for where/masked_fill/softmax.
Tensor mask_2x3() { return from_vector(std::vector<bool>{false, true, false, true, true, true}, Shape{2, 3}); }

}  // namespace

std::vector<Row> qkv::gradcheck_tables::op_rows() {
  // One op per row, kept as a table.
  // clang-format off
  return {
      // elementwise, binary (with broadcasting)
      {"add", normals({{3, 4}, {4}}), [](const Inputs& x) { return x[0] + x[1]; }},
      {"sub", normals({{3, 1}, {1, 4}}), [](const Inputs& x) { return x[0] - x[1]; }},
      {"mul", normals({{2, 3, 4}, {3, 1}}), [](const Inputs& x) { return x[0] * x[1]; }},
      {"div", [](Generator& g) { return Inputs{normal(g, {3, 4}), positive(g, {4})}; },
       [](const Inputs& x) { return x[0] / x[1]; }},
      {"pow", [](Generator& g) { return Inputs{positive(g, {3, 2}), normal(g, {3, 2})}; },
       [](const Inputs& x) { return pow(x[0], x[1]); }},
      {"maximum", normals({{3, 4}, {3, 4}}), [](const Inputs& x) { return maximum(x[0], x[1]); }},
      {"minimum", normals({{3, 4}, {4}}), [](const Inputs& x) { return minimum(x[0], x[1]); }},
      {"add_scalar", normals({{3}}), [](const Inputs& x) { return x[0] + 2.5; }},
      {"mul_scalar", normals({{3}}), [](const Inputs& x) { return x[0] * -1.5; }},
      {"pow_scalar", positives({{4}}), [](const Inputs& x) { return pow(x[0], 2.7); }},
      // elementwise, unary
      {"neg", normals({{3, 2}}), [](const Inputs& x) { return neg(x[0]); }},
      {"exp", normals({{3, 2}}), [](const Inputs& x) { return exp(x[0]); }},
      {"log", positives({{3, 2}}), [](const Inputs& x) { return log(x[0]); }},
      {"sqrt", positives({{3, 2}}), [](const Inputs& x) { return sqrt(x[0]); }},
      {"abs", normals({{3, 2}}), [](const Inputs& x) { return abs(x[0]); }},
      {"tanh", normals({{3, 2}}), [](const Inputs& x) { return tanh(x[0]); }},
      {"sigmoid", normals({{3, 2}}), [](const Inputs& x) { return sigmoid(x[0]); }},
      {"relu", normals({{3, 2}}), [](const Inputs& x) { return relu(x[0]); }},
      {"gelu", normals({{3, 2}}), [](const Inputs& x) { return gelu(x[0]); }},
      {"where", normals({{2, 3}, {3}}), [](const Inputs& x) { return where(mask_2x3(), x[0], x[1]); }},
      {"masked_fill", normals({{2, 3}}), [](const Inputs& x) { return masked_fill(x[0], mask_2x3(), 7.0); }},
      {"clone", normals({{2, 3}}), [](const Inputs& x) { return clone(x[0]); }},
      // views
      {"view", normals({{2, 6}}), [](const Inputs& x) { return view(x[0], {3, -1}); }},
      {"reshape", normals({{3, 4}}), [](const Inputs& x) { return reshape(transpose(x[0], 0, 1), {2, 6}); }},
      {"flatten", normals({{2, 3}}), [](const Inputs& x) { return flatten(x[0]); }},
      {"transpose", normals({{2, 3, 4}}), [](const Inputs& x) { return transpose(x[0], 0, 2); }},
      {"permute", normals({{2, 3, 4}}), [](const Inputs& x) { return permute(x[0], {1, 2, 0}); }},
      {"narrow", normals({{4, 3}}), [](const Inputs& x) { return narrow(x[0], 0, 1, 2); }},
      {"slice", normals({{5, 3}}), [](const Inputs& x) { return slice(x[0], 0, 0, 5, 2); }},
      {"select", normals({{4, 3}}), [](const Inputs& x) { return select(x[0], 1, -1); }},
      {"squeeze", normals({{3, 1, 2}}), [](const Inputs& x) { return squeeze(x[0], 1); }},
      {"unsqueeze", normals({{3, 2}}), [](const Inputs& x) { return unsqueeze(x[0], 1); }},
      {"expand", normals({{3, 1}}), [](const Inputs& x) { return expand(x[0], {2, 3, 4}); }},
      {"contiguous", normals({{3, 4}}), [](const Inputs& x) { return contiguous(transpose(x[0], 0, 1)); }},
      // reductions and softmaxes
      {"sum", normals({{2, 3, 4}}), [](const Inputs& x) { return sum(x[0]); }},
      {"sum_axes_keepdim", normals({{2, 3, 4}}), [](const Inputs& x) { return sum(x[0], {0, 2}, true); }},
      {"mean", normals({{2, 3, 4}}), [](const Inputs& x) { return mean(x[0], {-1}); }},
      {"max", normals({{3, 4}}), [](const Inputs& x) { return max(x[0], 1); }},
      {"min", normals({{3, 4}}), [](const Inputs& x) { return min(x[0], 0, true); }},
      {"logsumexp", normals({{3, 4}}), [](const Inputs& x) { return logsumexp(x[0], {1}); }},
      {"var", normals({{3, 4}}), [](const Inputs& x) { return var(x[0], {1}); }},
      {"softmax", normals({{3, 4}}), [](const Inputs& x) { return softmax(x[0], -1); }},
      {"softmax_masked", normals({{2, 3}}),
       [](const Inputs& x) { return softmax(masked_fill(x[0], mask_2x3(), -INFINITY), -1); }},
      {"log_softmax", normals({{3, 4}}), [](const Inputs& x) { return log_softmax(x[0], 0); }},
      // indexing and joining
      {"gather", normals({{3, 4}}), [](const Inputs& x) { return gather(x[0], 1, ids({0, 3, 3, 1, 2, 0}, {3, 2})); }},
      {"index_select", normals({{4, 3}}), [](const Inputs& x) { return index_select(x[0], 0, ids({2, 0, 2}, {3})); }},
      {"embedding", normals({{5, 3}}), [](const Inputs& x) { return embedding(x[0], ids({1, 4, 1, 0}, {2, 2})); }},
      {"concat", normals({{2, 3}, {2, 1}}), [](const Inputs& x) { return concat({x[0], x[1]}, 1); }},
      {"stack", normals({{2, 3}, {2, 3}}), [](const Inputs& x) { return stack({x[0], x[1]}, 1); }},
      {"split", normals({{5, 2}}),
       [](const Inputs& x) {
         auto parts = split(x[0], 2, 0);  // sizes 2, 2, 1
         return concat({parts[2] * 3.0, parts[0] * parts[1]}, 0);
       }},
      // matrix products
      {"matmul", normals({{3, 4}, {4, 2}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_transposed", normals({{4, 3}, {2, 4}}),
       [](const Inputs& x) { return matmul(transpose(x[0], 0, 1), transpose(x[1], 0, 1)); }},
      {"matmul_broadcast_batch", normals({{2, 1, 3, 4}, {3, 4, 2}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_folded_weight", normals({{2, 3, 4}, {4, 2}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_vector_matrix", normals({{4}, {4, 3}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_matrix_vector", normals({{3, 4}, {4}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"matmul_dot", normals({{4}, {4}}), [](const Inputs& x) { return matmul(x[0], x[1]); }},
      {"bmm", normals({{2, 3, 4}, {2, 4, 2}}), [](const Inputs& x) { return bmm(x[0], x[1]); }},
      {"matmul_transposed_batch", normals({{2, 4, 3}, {2, 2, 4}}),
       [](const Inputs& x) { return matmul(transpose(x[0], 1, 2), transpose(x[1], 1, 2)); }},
      // linear: y = x·Wᵀ + b (batch dims fold into rows)
      {"linear", normals({{2, 3, 4}, {5, 4}, {5}}), [](const Inputs& x) { return linear(x[0], x[1], x[2]); }},
      {"linear_no_bias", normals({{3, 4}, {2, 4}}), [](const Inputs& x) { return linear(x[0], x[1]); }},
      {"linear_vector_input", normals({{4}, {3, 4}, {3}}), [](const Inputs& x) { return linear(x[0], x[1], x[2]); }},
      {"linear_strided_operands", normals({{4, 3}, {4, 6}, {4}}),
       [](const Inputs& x) { return linear(transpose(x[0], 0, 1), narrow(x[1], 1, 1, 4), x[2]); }},
      // conversions and estimators (appended: each row's seed is 1000 + its index)
      // float64 → float32 → float64: linear, so a wide step is exact up to float32 rounding
      {"to_dtype", normals({{2, 3}}),
       [](const Inputs& x) { return to_dtype(to_dtype(x[0], Dtype::float32), Dtype::float64); },
       GradcheckOptions{.eps = 1e-2}},
      // the value of `hard` with the gradient of `soft`: with hard = soft's value, d soft = dy is exact
      {"straight_through", normals({{2, 3}}),
       [](const Inputs& x) {
         const Tensor soft = softmax(x[0], -1);
         return straight_through(soft.detach(), soft);
       }},
  };
  // clang-format on
}

TEST_CASE("every differentiable op passes a float64 gradcheck", "[autograd][gradcheck]") {
  gradcheck_rows(op_rows(), 1000);
}

TEST_CASE("to_dtype passes gradients through float32 and back", "[autograd]") {
  Tensor x = ones({3}, Dtype::float64).requires_grad_();
  Tensor y = to_dtype(x, Dtype::float32);
  CHECK(y.dtype() == Dtype::float32);
  sum(y * 2.0).backward();
  REQUIRE(x.grad().dtype() == Dtype::float64);
  CHECK(to_vector<double>(x.grad()) == std::vector<double>{2, 2, 2});
}
