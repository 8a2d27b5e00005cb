// gru.cpp — GRUCell and GRU: the GRU step (steps.h) in a cell and in a stack of layers.
#include "nn/rnn/gru.h"

#include "autograd/ops/views.h"
#include "nn/rnn/steps.h"

namespace qkv {

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, bool bias, Dtype dtype)
    : RecurrentCell(input_size, hidden_size, bias, dtype, 3, "GRUCell") {}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h) {
  const Tensor gi = project(x);  // (B, 3Hd)
  return gru_step(gi, state_or_zeros(h, x.size(0), "h"), transpose(weight_hh(), 0, 1), bias_hh());
}

GRU::GRU(const RnnConfig& config) : RecurrentStack(config, 3, "GRU") {}

GRU::Output GRU::forward(const Tensor& x, const Tensor& h0, const Tensor& lengths) {
  Result r = run(x, {h0}, lengths);
  return {std::move(r.output), std::move(r.finals[0])};
}

std::vector<Tensor> GRU::step(const Tensor& gi, const std::vector<Tensor>& state, const Tensor& w_hh_t,
                              const Weights& w) const {
  return {gru_step(gi, state[0], w_hh_t, w.b_hh)};
}

}  // namespace qkv
