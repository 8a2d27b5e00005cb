// gradcheck_tables.h — the shape of a row in the two gradcheck tables, and the tables themselves.
//
// gradcheck_table_test.cpp holds one row per op of autograd/ops/ (add, matmul, softmax, ...);
// gradcheck_fused_table_test.cpp one per fused op above them (layer_norm, cross_entropy,
// flash_attention, sparsemax, ...). Each row is a float64 gradcheck: inputs drawn from a
// seeded generator, and a function of them. op_coverage_test.cpp runs every row once and
// checks that every op name listed in autograd/op_name.h appears in the graph of some row.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "qkv.h"

namespace qkv::gradcheck_tables {

using Inputs = std::vector<Tensor>;

struct Row {
  std::string name;
  std::function<Inputs(Generator&)> make_inputs;
  GradcheckFunction f;
  GradcheckOptions options = {};
};

std::vector<Row> op_rows();     // gradcheck_table_test.cpp
std::vector<Row> fused_rows();  // gradcheck_fused_table_test.cpp

// Leaves to differentiate: normal values, or values in [0.5, 2] for log, sqrt, pow and div.
inline Tensor normal(Generator& gen, const Shape& shape) { return randn(shape, gen, Dtype::float64).requires_grad_(); }
inline Tensor positive(Generator& gen, const Shape& shape) {
  return rand(shape, gen, Dtype::float64, 0.5, 2.0).requires_grad_();
}

inline auto normals(std::vector<Shape> shapes) {
  return [shapes](Generator& gen) {
    Inputs in;
    for (const Shape& s : shapes) in.push_back(normal(gen, s));
    return in;
  };
}
inline auto positives(std::vector<Shape> shapes) {
  return [shapes](Generator& gen) {
    Inputs in;
    for (const Shape& s : shapes) in.push_back(positive(gen, s));
    return in;
  };
}

// Runs every row as a test section: gradcheck(f, make_inputs(Generator(first_seed + i))).
inline void gradcheck_rows(const std::vector<Row>& rows, uint64_t first_seed) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SECTION(row.name) {
      Generator gen(first_seed + i);
      const Inputs inputs = row.make_inputs(gen);
      INFO("op: " << row.name);
      REQUIRE_NOTHROW(gradcheck(row.name, row.f, inputs, row.options));
    }
  }
}

}  // namespace qkv::gradcheck_tables
