// op_name_test.cpp — an op's name cannot dangle. Node and SavedTensor keep the name until
// backward; OpName accepts only a string literal (static storage), so a name built at run time
// — fmt::format, std::string, a char pointer — does not compile, and the name a node reports
// is valid however long after the op it is read.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <type_traits>

#include "autograd/record.h"
#include "qkv.h"
#include "tensor/elementwise.h"

using namespace qkv;
using Catch::Contains;

namespace {

// Whether `record` and `save` accept a name of type Name.
template <class Name>
concept recordable_name = requires(Name name, Tensor& out) {
  record(name, out, std::vector<Tensor>{}, Node::Backward{});
  save(name, out);
};

// A variant author's op, built in a scope whose strings are gone before backward runs:
// y = x·3 with a hand-written backward that reads a saved copy of x.
Tensor tripled_in_a_scope(const Tensor& x) {
  std::string scratch = fmt::format("{}_{}", "scaled", 3);  // a formatted name: record(scratch, ...) would not compile
  constexpr OpName op = OpName::unlisted("tripled");        // a literal: the only kind of name record takes
  Tensor y = raw::mul(x, 3.0);
  record(op, y, {x}, [sx = save(op, x)](const Tensor& dy) -> Grads {
    (void)sx.get();  // throws, naming the op, if x was modified in place
    return {raw::mul(dy, 3.0)};
  });
  scratch.assign(64, '#');  // reuse the scratch memory, as a dangling view would have seen it
  return y;
}

}  // namespace

// A literal is an OpName; nothing built at run time is.
static_assert(std::is_convertible_v<const char (&)[4], OpName>);
static_assert(!std::is_constructible_v<OpName, std::string>);
static_assert(!std::is_constructible_v<OpName, std::string_view>);
static_assert(!std::is_constructible_v<OpName, const char*>);
static_assert(recordable_name<OpName>);
static_assert(!recordable_name<std::string>);
static_assert(!recordable_name<std::string_view>);
static_assert(!recordable_name<const char*>);
// A listed name builds at compile time (an unlisted literal is a compile error, op_name.h).
static_assert(OpName("layer_norm").view() == "layer_norm");
static_assert(is_listed_op_name("flash_attention_packed") && !is_listed_op_name("no_such_op"));
static_assert(sizeof(OpName) == sizeof(std::string_view));  // a node pays nothing for the name

TEST_CASE("an op's name outlives the scope that recorded it, in node names and errors", "[autograd]") {
  Tensor x = full({2, 2}, 1.5, Dtype::float64).requires_grad_();
  Tensor leaf = x * 1.0;  // a non-leaf input, so the saved copy can be modified in place below
  Tensor y = tripled_in_a_scope(leaf);
  {
    std::string other(256, '?');  // churn the heap where a dangling name would point
    (void)other;
  }
  REQUIRE(y.autograd_meta()->grad_fn);
  CHECK(y.autograd_meta()->grad_fn->name() == "tripled");

  raw::fill_(leaf, 2.0);  // modify the saved tensor in place: backward must refuse, naming the op
  REQUIRE_THROWS_WITH(sum(y).backward(), Contains("backward of tripled") && Contains("modified in place"));

  AnomalyGuard anomaly;
  Tensor z = full({2}, 1.0, Dtype::float64).requires_grad_();
  REQUIRE_THROWS_WITH(log(z - 1.0) * 1.0, Contains("anomaly: log produced Inf"));
}

TEST_CASE("OpName::unlisted names a test's own op", "[autograd]") {
  constexpr OpName op = OpName::unlisted("test_only_op");
  static_assert(!is_listed_op_name(op.view()));
  Tensor x = ones({2}, Dtype::float64).requires_grad_();
  Tensor y = raw::mul(x, 2.0);
  record(op, y, {x}, [](const Tensor& dy) -> Grads { return {raw::mul(dy, 2.0)}; });
  CHECK(y.autograd_meta()->grad_fn->name() == "test_only_op");
  CHECK(fmt::format("{}", op) == "test_only_op");
}
