// functional_test.cpp — reference values and errors of the fused nn ops, and dropout. Their
// gradchecks are rows of tests/autograd/gradcheck_fused_table_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "nn/functional.h"
#include "nn/layers.h"
#include "qkv.h"
#include "tensor/parallel.h"

using namespace qkv;
using Catch::Contains;

namespace {
Tensor normal64(Generator& gen, const Shape& shape) { return randn(shape, gen, Dtype::float64).requires_grad_(); }
}  // namespace

TEST_CASE("layer_norm normalises each row", "[nn]") {
  Generator gen(12);
  Tensor x = randn({4, 16}, gen, Dtype::float64, 3.0, 2.0);
  Tensor y = layer_norm(x, {}, {}, 0.0);
  for (double m : to_vector<double>(mean(y, {1}))) CHECK(m == Approx(0).margin(1e-12));
  for (double v : to_vector<double>(var(y, {1}, 0))) CHECK(v == Approx(1).epsilon(1e-12));
}

TEST_CASE("cross_entropy equals -log softmax at the target, averaged over kept rows", "[nn]") {
  Tensor logits = from_vector(std::vector<double>{1, 2, 3, 1, 1, 1, 0, 0, 5}, Shape{3, 3});
  Tensor targets = from_vector(std::vector<int64_t>{2, 0, -100}, Shape{3});
  const double row0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  const double row1 = std::log(3.0);
  CHECK(cross_entropy(logits, targets).item() == Approx((row0 + row1) / 2).epsilon(1e-12));
  Tensor all_ignored = full({3}, -100, Dtype::int64);
  CHECK(cross_entropy(logits, all_ignored).item() == 0.0);
}

TEST_CASE("cross_entropy reports bad targets", "[nn]") {
  Tensor logits = zeros({2, 3});
  REQUIRE_THROWS_WITH(cross_entropy(logits, from_vector(std::vector<int64_t>{0, 3})),
                      Contains("target 3 at position 1 is out of range for 3 classes"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, from_vector(std::vector<int64_t>{0, 1, 2})),
                      Contains("need targets of shape [2], got [3]"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, zeros({2})), Contains("targets must be int64"));
}

TEST_CASE("mse_loss rejects inputs of different shapes", "[nn]") {
  Generator gen(14);
  Tensor a = normal64(gen, {3, 2});
  REQUIRE_THROWS_WITH(mse_loss(a, ones({2, 3}, Dtype::float64)), Contains("mse_loss: input [3, 2] and target [2, 3]"));
}

TEST_CASE("dropout keeps the expectation and is the identity in eval", "[nn]") {
  Generator gen(15);
  Tensor x = ones({100000});
  Tensor y = dropout(x, 0.25, true, gen);
  const std::vector<float> v = to_vector<float>(y);
  int64_t zeros_seen = 0;
  for (float e : v) {
    if (e == 0)
      ++zeros_seen;
    else
      CHECK(e == Approx(1 / 0.75));
  }
  CHECK(static_cast<double>(zeros_seen) / 100000 == Approx(0.25).margin(0.01));
  CHECK(mean(y).item() == Approx(1.0).margin(0.01));
  Dropout layer(0.5);
  layer.eval();
  CHECK(layer(x).storage() == x.storage());
}

TEST_CASE("dropout's mask depends on the seed only, not on the number of threads", "[nn]") {
  const Tensor x = ones({3, 100000});  // several chunks of the parallel mask
  std::vector<std::vector<float>> masks;
  for (int threads : {1, 2, 3}) {
    const int saved = num_threads();
    set_num_threads(threads);
    Generator gen(21);
    masks.push_back(to_vector<float>(dropout(x, 0.4, true, gen)));
    set_num_threads(saved);
  }
  CHECK(masks[0] == masks[1]);
  CHECK(masks[0] == masks[2]);
  // Chunks draw from different streams: the first two chunks' masks differ.
  const auto& m = masks[0];
  CHECK_FALSE(std::equal(m.begin(), m.begin() + 4096, m.begin() + 4096));  // chunks of 4096
  // The generator advances: a second call gives a different mask.
  Generator gen(21);
  const Tensor first = dropout(x, 0.4, true, gen);
  CHECK(to_vector<float>(dropout(x, 0.4, true, gen)) != to_vector<float>(first));
}

TEST_CASE("dropout drops the same elements in float32 (vector compare) and float64 (scalar)", "[nn]") {
  // float32 decides 16 elements per vector compare and leaves a chunk's tail (here 4,096 + 45
  // elements, so the last chunk is 45 long) to the scalar loop that float64 uses throughout.
  for (double p : {0.1, 0.5, 0.9, 1e-17, 1 - 1e-12}) {
    INFO("p = " << p);
    Generator gen32(5), gen64(5);
    const std::vector<float> y32 = to_vector<float>(dropout(ones({4096 + 45}), p, true, gen32));
    const std::vector<double> y64 = to_vector<double>(dropout(ones({4096 + 45}, Dtype::float64), p, true, gen64));
    int64_t kept = 0, disagree = 0;
    for (size_t i = 0; i < y32.size(); ++i) {
      kept += y32[i] != 0 ? 1 : 0;
      disagree += (y32[i] != 0) != (y64[i] != 0) ? 1 : 0;
    }
    CHECK(disagree == 0);
    if (p == 1e-17) CHECK(kept == 4096 + 45);  // 1 - p rounds to 1, so (1-p)·2³² = 2³²: all kept
    if (p == 1 - 1e-12) CHECK(kept == 0);      // (1-p)·2³² < 1: none is
    if (p == 0.5) CHECK(static_cast<double>(kept) / (4096 + 45) == Approx(0.5).margin(0.03));
  }
}

TEST_CASE("relu_dropout is dropout(relu(x)) from the same draw, forward and backward", "[nn]") {
  // 2 chunks and a tail of 46: the vector and the scalar mask paths, in both float types.
  const auto values = [](const Tensor& t) { return to_vector<double>(to_dtype(t.detach(), Dtype::float64)); };
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    INFO("dtype " << fmt::format("{}", dtype));
    Generator data(23);
    const Tensor x_fused = randn({3, 2746}, data, dtype).requires_grad_();  // 8,238 = 2·4,096 + 46
    const Tensor x_plain = x_fused.detach().clone().requires_grad_();
    const Tensor dy = randn(x_fused.shape(), data, dtype);
    Generator fused_gen(8), plain_gen(8);
    const Tensor fused = relu_dropout(x_fused, 0.35, true, fused_gen);
    const Tensor plain = dropout(relu(x_plain), 0.35, true, plain_gen);
    fused.backward(dy);
    plain.backward(dy);
    CHECK(values(fused) == values(plain));
    CHECK(values(x_fused.grad()) == values(x_plain.grad()));
    CHECK(fused_gen.next_u64() == plain_gen.next_u64());  // one draw each
    const std::vector<double> y = values(fused);
    const auto zeros = std::count(y.begin(), y.end(), 0.0);
    CHECK(static_cast<double>(zeros) / static_cast<double>(y.size()) == Approx(1 - 0.5 * 0.65).margin(0.03));
  }
  Generator gen(4);
  const Tensor x = from_vector(std::vector<float>{-1, 2, -3, 4}, Shape{4});
  CHECK(to_vector<float>(relu_dropout(x, 0.5, false, gen)) == std::vector<float>{0, 2, 0, 4});  // eval: relu
  CHECK(to_vector<float>(relu_dropout(x, 1.0, true, gen)) == std::vector<float>{0, 0, 0, 0});
  CHECK_THROWS_WITH(relu_dropout(x, 1.5, true, gen), Contains("relu_dropout: probability 1.5 is outside [0, 1]"));
  CHECK_THROWS_WITH(relu_dropout(ones({2}, Dtype::int64), 0.5, true, gen),
                    Contains("relu_dropout: expects a float tensor"));
}

TEST_CASE("Linear computes x·Wᵀ + b and its gradients pass gradcheck", "[nn][gradcheck]") {
  Linear lin(3, 2, true, Dtype::float64);
  Generator gen(16);
  lin.reset_parameters(gen);
  Tensor x = normal64(gen, {2, 4, 3});
  gradcheck("linear", [&](const std::vector<Tensor>& in) { return matmul(in[0], transpose(in[1], 0, 1)) + in[2]; },
            {x, lin.weight(), lin.bias()});
  Tensor expected = matmul(x, transpose(lin.weight(), 0, 1)) + lin.bias();
  CHECK(to_vector<double>(lin(x)) == to_vector<double>(expected));
}

TEST_CASE("dropout draws the same mask from the same generator state", "[nn]") {
  // (its backward is gradchecked with a fixed generator in tests/autograd/gradcheck_fused_table_test.cpp)
  Generator data(17);
  Tensor x = normal64(data, {5, 7});
  Generator a(3), b(3);
  const Tensor ya = dropout(x, 0.3, true, a);
  const Tensor yb = dropout(x, 0.3, true, b);
  CHECK(to_vector<double>(ya) == to_vector<double>(yb));
  CHECK_THROWS_WITH(dropout(ones({2}, Dtype::int64), 0.5, true, a), Contains("dropout: expects a float tensor"));
}
