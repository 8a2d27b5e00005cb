// rnn_test_util.h — what the GRU and LSTM tests share: naive per-element reference steps (plain
// loops over doubles, independent of the tensor ops), tensor comparison, and the scaffolding of
// the layer tests (a float64 config, slicing one sequence out of a batch, a cell loaded with one
// direction of a layer, gradcheck's input list).
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "nn/rnn/rnn_config.h"
#include "qkv.h"
#include "tensor/elementwise.h"
#include "tensor/views.h"

namespace rnn_test {

using Values = std::vector<double>;

inline double sigmoid_of(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// y[b][j] = Σ_k w[j][k]·x[b][k] + bias[j] (bias may be empty); w (rows, cols), x (B, cols).
inline Values affine(const Values& x, const Values& w, const Values& bias, int64_t batch, int64_t rows, int64_t cols) {
  Values y(static_cast<size_t>(batch * rows), 0.0);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < rows; ++j) {
      double acc = bias.empty() ? 0.0 : bias[static_cast<size_t>(j)];
      for (int64_t k = 0; k < cols; ++k)
        acc += w[static_cast<size_t>(j * cols + k)] * x[static_cast<size_t>(b * cols + k)];
      y[static_cast<size_t>(b * rows + j)] = acc;
    }
  }
  return y;
}

inline Values values_of(const qkv::Tensor& t) { return t.defined() ? qkv::to_vector<double>(t) : Values{}; }

// One GRU step written out per element: h' from x (B, I) and h (B, Hd).
inline Values naive_gru_step(const Values& x, const Values& h, const Values& w_ih, const Values& w_hh,
                             const Values& b_ih, const Values& b_hh, int64_t batch, int64_t in, int64_t hd) {
  const Values gi = affine(x, w_ih, b_ih, batch, 3 * hd, in);
  const Values gh = affine(h, w_hh, b_hh, batch, 3 * hd, hd);
  Values out(static_cast<size_t>(batch * hd));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < hd; ++j) {
      auto at = [&](const Values& g, int64_t gate) { return g[static_cast<size_t>(b * 3 * hd + gate * hd + j)]; };
      const double r = sigmoid_of(at(gi, 0) + at(gh, 0));
      const double z = sigmoid_of(at(gi, 1) + at(gh, 1));
      const double n = std::tanh(at(gi, 2) + r * at(gh, 2));
      out[static_cast<size_t>(b * hd + j)] = (1 - z) * n + z * h[static_cast<size_t>(b * hd + j)];
    }
  }
  return out;
}

// One LSTM step written out per element: (h', c') from x (B, I), h and c (B, Hd).
inline std::pair<Values, Values> naive_lstm_step(const Values& x, const Values& h, const Values& c, const Values& w_ih,
                                                 const Values& w_hh, const Values& b_ih, const Values& b_hh,
                                                 int64_t batch, int64_t in, int64_t hd) {
  const Values gi = affine(x, w_ih, b_ih, batch, 4 * hd, in);
  const Values gh = affine(h, w_hh, b_hh, batch, 4 * hd, hd);
  Values h_out(static_cast<size_t>(batch * hd)), c_out(static_cast<size_t>(batch * hd));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < hd; ++j) {
      auto at = [&](int64_t gate) {
        const size_t k = static_cast<size_t>(b * 4 * hd + gate * hd + j);
        return gi[k] + gh[k];
      };
      const size_t k = static_cast<size_t>(b * hd + j);
      const double i = sigmoid_of(at(0)), f = sigmoid_of(at(1)), g = std::tanh(at(2)), o = sigmoid_of(at(3));
      c_out[k] = f * c[k] + i * g;
      h_out[k] = o * std::tanh(c_out[k]);
    }
  }
  return {h_out, c_out};
}

// Every element of `got` within `tol` of `want` (same shape).
inline void require_close(const qkv::Tensor& got, const qkv::Tensor& want, double tol) {
  REQUIRE(got.shape() == want.shape());
  const Values g = values_of(got), w = values_of(want);
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(g[i] - w[i]));
  INFO("largest difference " << worst);
  REQUIRE(worst <= tol);
}

inline void require_close(const qkv::Tensor& got, const Values& want, double tol) {
  const Values g = values_of(got);
  REQUIRE(g.size() == want.size());
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(g[i] - want[i]));
  INFO("largest difference " << worst);
  REQUIRE(worst <= tol);
}

// Copies every parameter of `from` into the same-named parameter of `to` (same names required).
inline void copy_parameters(qkv::Module& to, qkv::Module& from) {
  auto dst = to.named_parameters();
  auto src = from.named_parameters();
  REQUIRE(dst.size() == src.size());
  for (size_t i = 0; i < dst.size(); ++i) {
    REQUIRE(dst[i].first == src[i].first);
    qkv::raw::copy_(dst[i].second, src[i].second);
  }
}

// A float64 config: the references and gradchecks compare in double precision.
inline qkv::RnnConfig float64_config(int64_t in, int64_t hd, int64_t layers, bool bidirectional) {
  return {.input_size = in,
          .hidden_size = hd,
          .num_layers = layers,
          .bidirectional = bidirectional,
          .dtype = qkv::Dtype::float64};
}

// Batch rows [start, start + length) of a state (L·dirs, B, Hd), as a new tensor (no gradient).
inline qkv::Tensor state_rows(const qkv::Tensor& state, int64_t start, int64_t length) {
  return qkv::raw::contiguous(qkv::raw::narrow(state, 1, start, length));
}

// Time steps [from, from + count) of sequence b of a batch (B, T, ·), as a (1, count, ·) view.
inline qkv::Tensor steps_of(const qkv::Tensor& x, int64_t b, int64_t from, int64_t count) {
  return qkv::raw::narrow(qkv::raw::narrow(x, 0, b, 1), 1, from, count);
}

// Loads `cell` with the weights of one direction of layer `layer` of `rnn` (a GRU into a
// GRUCell, an LSTM into an LSTMCell), so the cell unrolled must reproduce that direction.
template <class Cell, class Rnn>
void load_direction(Cell& cell, Rnn& rnn, int64_t layer, bool reverse) {
  qkv::raw::copy_(cell.weight_ih(), rnn.weight_ih(layer, reverse));
  qkv::raw::copy_(cell.weight_hh(), rnn.weight_hh(layer, reverse));
  qkv::raw::copy_(cell.bias_ih(), rnn.bias_ih(layer, reverse));
  qkv::raw::copy_(cell.bias_hh(), rnn.bias_hh(layer, reverse));
}

// `inputs` followed by every parameter of `module`: what gradcheck differentiates against.
inline std::vector<qkv::Tensor> with_parameters(std::vector<qkv::Tensor> inputs, qkv::Module& module) {
  for (const qkv::Tensor& p : module.parameters()) inputs.push_back(p);
  return inputs;
}

}  // namespace rnn_test
