// lstm_test.cpp — LSTMCell and LSTM: a per-element reference, the layer against the cell
// unrolled, lengths against each sequence run alone, torch's names, gradchecks, errors.
#include <catch2/catch.hpp>

#include "nn/rnn/lstm.h"
#include "qkv.h"
#include "rnn/rnn_test_util.h"
#include "tensor/elementwise.h"

using namespace qkv;
using namespace rnn_test;
using Catch::Contains;

TEST_CASE("LSTMCell matches the gate equations written out per element", "[rnn][lstm]") {
  Generator gen(11);
  for (bool bias : {true, false}) {
    LSTMCell cell(4, 3, bias, Dtype::float64);
    cell.reset_parameters(gen);
    const Tensor x = randn({2, 4}, gen, Dtype::float64);
    const Tensor h = randn({2, 3}, gen, Dtype::float64);
    const Tensor c = randn({2, 3}, gen, Dtype::float64);
    const auto [want_h, want_c] =
        naive_lstm_step(values_of(x), values_of(h), values_of(c), values_of(cell.weight_ih()),
                        values_of(cell.weight_hh()), values_of(cell.bias_ih()), values_of(cell.bias_hh()), 2, 4, 3);
    const auto [got_h, got_c] = cell.forward(x, h, c);
    require_close(got_h, want_h, 1e-12);
    require_close(got_c, want_c, 1e-12);
  }
}

TEST_CASE("LSTMCell passes gradcheck for input, states and every parameter", "[rnn][lstm][gradcheck]") {
  Generator gen(12);
  LSTMCell cell(3, 2, true, Dtype::float64);
  cell.reset_parameters(gen);
  Tensor x = randn({2, 3}, gen, Dtype::float64).requires_grad_();
  Tensor h = randn({2, 2}, gen, Dtype::float64).requires_grad_();
  Tensor c = randn({2, 2}, gen, Dtype::float64).requires_grad_();
  gradcheck(
      "LSTMCell",
      [&](const std::vector<Tensor>& in) {
        const auto [h1, c1] = cell.forward(in[0], in[1], in[2]);
        return concat({h1, c1}, 1);
      },
      with_parameters({x, h, c}, cell));
}

TEST_CASE("LSTM parameters have torch's names, shapes and count", "[rnn][lstm]") {
  LSTM lstm({.input_size = 4, .hidden_size = 5, .num_layers = 2, .bidirectional = true});
  const auto named = lstm.named_parameters();
  REQUIRE(named.size() == 16);
  CHECK(named[0].first == "weight_ih_l0");
  CHECK(named[0].second.shape() == Shape{20, 4});
  CHECK(named[5].first == "weight_hh_l0_reverse");
  CHECK(named[5].second.shape() == Shape{20, 5});
  CHECK(named[12].first == "weight_ih_l1_reverse");
  CHECK(named[12].second.shape() == Shape{20, 10});
  CHECK(named[15].first == "bias_hh_l1_reverse");
  const int64_t hd = 5, g = 4 * hd;
  CHECK(lstm.parameter_count() == 2 * ((g * 4 + g * hd + 2 * g) + (g * 2 * hd + g * hd + 2 * g)));
  LSTMCell cell(4, 5);
  CHECK(cell.parameter_count() == g * 4 + g * hd + 2 * g);
  CHECK(cell.named_parameters()[3].first == "bias_hh");
}

TEST_CASE("LSTM layer equals LSTMCell unrolled forward and backward in time", "[rnn][lstm]") {
  Generator gen(13);
  const int64_t batch = 2, steps = 4, in = 3, hd = 5;
  LSTM lstm(float64_config(in, hd, 1, true));
  lstm.reset_parameters(gen);
  const Tensor x = randn({batch, steps, in}, gen, Dtype::float64);
  const Tensor h0 = randn({2, batch, hd}, gen, Dtype::float64);
  const Tensor c0 = randn({2, batch, hd}, gen, Dtype::float64);
  const LSTM::Output out = lstm.forward(x, h0, c0);
  REQUIRE(out.output.shape() == Shape{batch, steps, 2 * hd});
  REQUIRE(out.c_n.shape() == Shape{2, batch, hd});
  for (bool reverse : {false, true}) {
    LSTMCell cell(in, hd, true, Dtype::float64);
    load_direction(cell, lstm, 0, reverse);
    Tensor h = raw::select(h0, 0, reverse ? 1 : 0);
    Tensor c = raw::select(c0, 0, reverse ? 1 : 0);
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = reverse ? steps - 1 - s : s;
      std::tie(h, c) = cell.forward(raw::select(x, 1, t), h, c);
      require_close(raw::narrow(raw::select(out.output, 1, t), 1, reverse ? hd : 0, hd), h, 1e-12);
    }
    require_close(raw::select(out.h_n, 0, reverse ? 1 : 0), h, 1e-12);
    require_close(raw::select(out.c_n, 0, reverse ? 1 : 0), c, 1e-12);
  }
}

TEST_CASE("LSTM with lengths equals each sequence run alone at its real length", "[rnn][lstm]") {
  Generator gen(14);
  const int64_t batch = 3, steps = 5, in = 3, hd = 4;
  LSTM lstm(float64_config(in, hd, 2, true));
  lstm.reset_parameters(gen);
  const Tensor x = randn({batch, steps, in}, gen, Dtype::float64);
  const Tensor h0 = randn({4, batch, hd}, gen, Dtype::float64);
  const Tensor c0 = randn({4, batch, hd}, gen, Dtype::float64);
  const std::vector<int64_t> lengths = {1, 5, 4};
  const LSTM::Output out = lstm.forward(x, h0, c0, from_vector(lengths));
  for (int64_t b = 0; b < batch; ++b) {
    INFO("sequence " << b);
    const int64_t n = lengths[static_cast<size_t>(b)];
    const Tensor xb = raw::contiguous(steps_of(x, b, 0, n));  // (1, n, in)
    const LSTM::Output alone = lstm.forward(xb, state_rows(h0, b, 1), state_rows(c0, b, 1));
    require_close(steps_of(out.output, b, 0, n), alone.output, 1e-12);
    require_close(state_rows(out.h_n, b, 1), alone.h_n, 1e-12);
    require_close(state_rows(out.c_n, b, 1), alone.c_n, 1e-12);
    // Padded positions output zeros.
    for (double v : values_of(steps_of(out.output, b, n, steps - n))) CHECK(v == 0.0);
  }
}

TEST_CASE("2-layer bidirectional LSTM with lengths passes gradcheck", "[rnn][lstm][gradcheck]") {
  Generator gen(15);
  LSTM lstm(float64_config(2, 2, 2, true));
  lstm.reset_parameters(gen);
  Tensor x = randn({2, 3, 2}, gen, Dtype::float64).requires_grad_();
  Tensor h0 = randn({4, 2, 2}, gen, Dtype::float64).requires_grad_();
  Tensor c0 = randn({4, 2, 2}, gen, Dtype::float64).requires_grad_();
  const Tensor lengths = from_vector(std::vector<int64_t>{2, 3});
  gradcheck(
      "LSTM",
      [&](const std::vector<Tensor>& in) {
        const LSTM::Output out = lstm.forward(in[0], in[1], in[2], lengths);
        return concat({flatten(out.output), flatten(out.h_n), flatten(out.c_n)}, 0);
      },
      with_parameters({x, h0, c0}, lstm));
}

TEST_CASE("LSTM and LSTMCell reject bad shapes with clear errors", "[rnn][lstm]") {
  LSTM lstm({.input_size = 4, .hidden_size = 3, .bidirectional = true});
  const Tensor x = zeros({2, 5, 4});
  REQUIRE_THROWS_WITH(lstm.forward(zeros({2, 4})), Contains("LSTM: expected input (B, T, 4) with T >= 1, got [2, 4]"));
  REQUIRE_THROWS_WITH(lstm.forward(x, {}, zeros({1, 2, 3})), Contains("LSTM: initial state must be [2, 2, 3]"));
  REQUIRE_THROWS_WITH(LSTM({.input_size = 2, .hidden_size = 3, .dropout = 2.0}),
                      Contains("LSTM: dropout 2 is outside [0, 1]"));
  LSTMCell cell(4, 3);
  REQUIRE_THROWS_WITH(cell.forward(zeros({2, 4}), {}, zeros({2, 4})),
                      Contains("LSTMCell: c must be [2, 3] float32, got [2, 4]"));
}
