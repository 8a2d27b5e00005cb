// gru_test.cpp — GRUCell and GRU: a per-element reference, the layer against the cell unrolled,
// lengths against each sequence run alone, torch's names and init, dropout, gradchecks, errors.
#include <catch2/catch.hpp>

#include "nn/rnn/gru.h"
#include "qkv.h"
#include "rnn/rnn_test_util.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace rnn_test;
using Catch::Contains;

TEST_CASE("GRUCell matches the gate equations written out per element", "[rnn][gru]") {
  Generator gen(1);
  for (bool bias : {true, false}) {
    GRUCell cell(4, 3, bias, Dtype::float64);
    cell.reset_parameters(gen);
    const Tensor x = randn({2, 4}, gen, Dtype::float64);
    const Tensor h = randn({2, 3}, gen, Dtype::float64);
    const Values want =
        naive_gru_step(values_of(x), values_of(h), values_of(cell.weight_ih()), values_of(cell.weight_hh()),
                       values_of(cell.bias_ih()), values_of(cell.bias_hh()), 2, 4, 3);
    require_close(cell.forward(x, h), want, 1e-12);
    // An undefined h is zeros.
    require_close(cell.forward(x), cell.forward(x, zeros({2, 3}, Dtype::float64)), 0);
  }
}

TEST_CASE("GRUCell passes gradcheck for input, state and every parameter", "[rnn][gru][gradcheck]") {
  Generator gen(2);
  GRUCell cell(3, 2, true, Dtype::float64);
  cell.reset_parameters(gen);
  Tensor x = randn({2, 3}, gen, Dtype::float64).requires_grad_();
  Tensor h = randn({2, 2}, gen, Dtype::float64).requires_grad_();
  gradcheck(
      "GRUCell", [&](const std::vector<Tensor>& in) { return cell.forward(in[0], in[1]); },
      with_parameters({x, h}, cell));
}

TEST_CASE("GRU parameters have torch's names, shapes and count", "[rnn][gru]") {
  GRU gru({.input_size = 4, .hidden_size = 5, .num_layers = 2, .bidirectional = true});
  const auto named = gru.named_parameters();
  const std::vector<std::string> want = {
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  REQUIRE(named.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(named[i].first == want[i]);
  CHECK(named[0].second.shape() == Shape{15, 4});
  CHECK(named[1].second.shape() == Shape{15, 5});
  CHECK(named[2].second.shape() == Shape{15});
  CHECK(named[8].second.shape() == Shape{15, 10});  // layer 1 reads both directions
  const int64_t hd = 5, g = 3 * hd;
  CHECK(gru.parameter_count() == 2 * ((g * 4 + g * hd + 2 * g) + (g * 2 * hd + g * hd + 2 * g)));
  // A moved-to GRU lists the same tensors (nothing points into the old object).
  GRU moved = std::move(gru);
  CHECK(moved.named_parameters()[8].second.storage() == named[8].second.storage());
  GRU no_bias({.input_size = 4, .hidden_size = 5, .bias = false});
  CHECK(no_bias.parameter_count() == g * 4 + g * hd);
  CHECK(no_bias.named_parameters().size() == 2);
}

TEST_CASE("GRU init is uniform on plus-minus 1 over sqrt(Hd) and reproducible from the seed", "[rnn][gru]") {
  const RnnConfig c{.input_size = 3, .hidden_size = 16, .num_layers = 2};
  GRU a(c), b(c);
  Generator ga(5), gb(5);
  a.reset_parameters(ga);
  b.reset_parameters(gb);
  const auto pa = a.parameters(), pb = b.parameters();
  double lowest = 1, highest = -1;
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(to_vector<float>(pa[i]) == to_vector<float>(pb[i]));
    for (float v : to_vector<float>(pa[i])) {
      lowest = std::min<double>(lowest, v);
      highest = std::max<double>(highest, v);
    }
  }
  CHECK(lowest >= -0.25);
  CHECK(highest <= 0.25);
  CHECK(lowest < -0.2);  // the whole range is used
  CHECK(highest > 0.2);
  GRUCell cell(3, 4);
  Generator gc(6);
  cell.reset_parameters(gc);
  for (float v : to_vector<float>(cell.weight_hh())) CHECK(std::fabs(v) <= 0.5);
}

TEST_CASE("GRU layer equals GRUCell unrolled forward and backward in time", "[rnn][gru]") {
  Generator gen(3);
  const int64_t batch = 2, steps = 4, in = 3, hd = 5;
  GRU gru(float64_config(in, hd, 1, true));
  gru.reset_parameters(gen);
  const Tensor x = randn({batch, steps, in}, gen, Dtype::float64);
  const Tensor h0 = randn({2, batch, hd}, gen, Dtype::float64);
  const GRU::Output out = gru.forward(x, h0);
  REQUIRE(out.output.shape() == Shape{batch, steps, 2 * hd});
  REQUIRE(out.h_n.shape() == Shape{2, batch, hd});
  for (bool reverse : {false, true}) {
    GRUCell cell(in, hd, true, Dtype::float64);
    load_direction(cell, gru, 0, reverse);
    Tensor h = raw::select(h0, 0, reverse ? 1 : 0);
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = reverse ? steps - 1 - s : s;
      h = cell.forward(raw::select(x, 1, t), h);
      require_close(raw::narrow(raw::select(out.output, 1, t), 1, reverse ? hd : 0, hd), h, 1e-12);
    }
    require_close(raw::select(out.h_n, 0, reverse ? 1 : 0), h, 1e-12);
  }
}

TEST_CASE("GRU takes a non-contiguous input, such as a time-major tensor transposed", "[rnn][gru]") {
  Generator gen(7);
  GRU gru(float64_config(3, 4, 2, true));
  gru.reset_parameters(gen);
  const Tensor time_major = randn({5, 2, 3}, gen, Dtype::float64);  // (T, B, I)
  const Tensor x = raw::transpose(time_major, 0, 1);                // (B, T, I), strided
  REQUIRE_FALSE(x.is_contiguous());
  const GRU::Output got = gru.forward(x);
  const GRU::Output want = gru.forward(raw::contiguous(x));
  require_close(got.output, want.output, 0);
  require_close(got.h_n, want.h_n, 0);
}

TEST_CASE("GRU with lengths equals each sequence run alone at its real length", "[rnn][gru]") {
  Generator gen(4);
  const int64_t batch = 3, steps = 5, in = 3, hd = 4;
  GRU gru(float64_config(in, hd, 2, true));
  gru.reset_parameters(gen);
  const Tensor x = randn({batch, steps, in}, gen, Dtype::float64);
  const Tensor h0 = randn({4, batch, hd}, gen, Dtype::float64);
  const std::vector<int64_t> lengths = {5, 2, 3};
  const GRU::Output out = gru.forward(x, h0, from_vector(lengths));
  for (int64_t b = 0; b < batch; ++b) {
    INFO("sequence " << b);
    const int64_t n = lengths[static_cast<size_t>(b)];
    const GRU::Output alone = gru.forward(raw::contiguous(steps_of(x, b, 0, n)), state_rows(h0, b, 1));
    require_close(steps_of(out.output, b, 0, n), alone.output, 1e-12);
    require_close(state_rows(out.h_n, b, 1), alone.h_n, 1e-12);
    // Padded positions output zeros.
    for (double v : values_of(steps_of(out.output, b, n, steps - n))) CHECK(v == 0.0);
  }
  // Lengths that all equal T change nothing.
  require_close(gru.forward(x, h0, from_vector(std::vector<int64_t>(3, steps))).output, gru.forward(x, h0).output, 0);
}

TEST_CASE("2-layer bidirectional GRU with lengths passes gradcheck", "[rnn][gru][gradcheck]") {
  Generator gen(5);
  GRU gru(float64_config(2, 2, 2, true));
  gru.reset_parameters(gen);
  Tensor x = randn({2, 3, 2}, gen, Dtype::float64).requires_grad_();
  Tensor h0 = randn({4, 2, 2}, gen, Dtype::float64).requires_grad_();
  const Tensor lengths = from_vector(std::vector<int64_t>{3, 2});
  gradcheck(
      "GRU",
      [&](const std::vector<Tensor>& in) {
        const GRU::Output out = gru.forward(in[0], in[1], lengths);
        return concat({flatten(out.output), flatten(out.h_n)}, 0);
      },
      with_parameters({x, h0}, gru));
}

TEST_CASE("GRU dropout acts between layers and only in training", "[rnn][gru]") {
  Generator gen(6);
  RnnConfig c = float64_config(3, 4, 2, false);
  GRU plain(c);
  c.dropout = 0.5;
  GRU dropped(c);
  plain.reset_parameters(gen);
  Generator gen2(6);
  dropped.reset_parameters(gen2);
  const Tensor x = randn({2, 5, 3}, gen, Dtype::float64);
  const GRU::Output want = plain.forward(x);
  const GRU::Output trained = dropped.forward(x);
  // Layer 0 sees no dropout; layer 1's input is dropped, so its outputs change.
  require_close(raw::select(trained.h_n, 0, 0), raw::select(want.h_n, 0, 0), 0);
  double change = 0;
  for (double v : values_of(raw::sub(trained.output, want.output))) change = std::max(change, std::fabs(v));
  CHECK(change > 1e-3);
  dropped.eval();
  require_close(dropped.forward(x).output, want.output, 0);
}

TEST_CASE("GRU and GRUCell reject bad shapes and lengths with clear errors", "[rnn][gru]") {
  GRU gru({.input_size = 4, .hidden_size = 3, .num_layers = 2});
  const Tensor x = zeros({2, 5, 4});
  REQUIRE_THROWS_WITH(gru.forward(zeros({2, 5, 3})),
                      Contains("GRU: expected input (B, T, 4) with T >= 1, got [2, 5, 3]"));
  REQUIRE_THROWS_WITH(gru.forward(zeros({2, 5, 4}, Dtype::float64)),
                      Contains("GRU: input is float64 but the weights are float32"));
  REQUIRE_THROWS_WITH(gru.forward(x, zeros({1, 2, 3})), Contains("initial state must be [2, 2, 3]"));
  REQUIRE_THROWS_WITH(gru.forward(x, {}, from_vector(std::vector<int64_t>{5, 6})),
                      Contains("GRU: length 6 is outside [0, T = 5]"));
  REQUIRE_THROWS_WITH(gru.forward(x, {}, from_vector(std::vector<int64_t>{5})),
                      Contains("lengths must be int64 of shape [2]"));
  REQUIRE_THROWS_WITH(GRU({.input_size = 0, .hidden_size = 3}),
                      Contains("GRU: input_size, hidden_size and num_layers must be positive"));
  REQUIRE_THROWS_WITH(gru.weight_ih(0, true), Contains("no reverse direction"));
  GRUCell cell(4, 3);
  REQUIRE_THROWS_WITH(cell.forward(zeros({2, 5})), Contains("GRUCell: expected input (B, 4), got [2, 5]"));
  REQUIRE_THROWS_WITH(cell.forward(zeros({2, 4}), zeros({3, 3})),
                      Contains("GRUCell: h must be [2, 3] float32, got [3, 3]"));
}
