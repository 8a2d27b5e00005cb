// steps.cpp — one GRU step and one LSTM step, composed from differentiable ops (see steps.h).
#include "nn/rnn/steps.h"

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/views.h"

namespace qkv {

Tensor gru_step(const Tensor& gi, const Tensor& h, const Tensor& w_hh_t, const Tensor& b_hh) {
  const int64_t hd = h.size(1);
  Tensor gh = matmul(h, w_hh_t);  // (B, 3Hd): W_hh h for r, z, n
  if (b_hh.defined()) gh = gh + b_hh;
  const Tensor rz = sigmoid(narrow(gi, 1, 0, 2 * hd) + narrow(gh, 1, 0, 2 * hd));    // (B, 2Hd)
  const Tensor r = narrow(rz, 1, 0, hd);                                             // (B, Hd)
  const Tensor z = narrow(rz, 1, hd, hd);                                            // (B, Hd)
  const Tensor n = tanh(narrow(gi, 1, 2 * hd, hd) + r * narrow(gh, 1, 2 * hd, hd));  // (B, Hd)
  return n + z * (h - n);                                                            // (1 - z)·n + z·h
}

std::pair<Tensor, Tensor> lstm_step(const Tensor& gi, const Tensor& h, const Tensor& c, const Tensor& w_hh_t) {
  const int64_t hd = h.size(1);
  const Tensor gates = gi + matmul(h, w_hh_t);                       // (B, 4Hd): i, f, g, o
  const Tensor input_forget = sigmoid(narrow(gates, 1, 0, 2 * hd));  // (B, 2Hd)
  const Tensor i = narrow(input_forget, 1, 0, hd);
  const Tensor f = narrow(input_forget, 1, hd, hd);
  const Tensor g = tanh(narrow(gates, 1, 2 * hd, hd));
  const Tensor o = sigmoid(narrow(gates, 1, 3 * hd, hd));
  Tensor c_next = f * c + i * g;     // (B, Hd)
  Tensor h_next = o * tanh(c_next);  // (B, Hd)
  return {std::move(h_next), std::move(c_next)};
}

}  // namespace qkv
