// rnn_parity_driver.cpp — runs GRU and LSTM layers described in JSON through qkv for the
// PyTorch parity test (tests/rnn/rnn_parity.py).
//
// Reads one request from stdin, writes one reply to stdout:
//
//   {"cases": [{"mode": "gru" | "lstm",
//               "config": {"input_size": 4, "hidden_size": 6, "num_layers": 2,
//                          "bidirectional": true, "bias": true, "dtype": "float32"},
//               "params": {"weight_ih_l0": {"shape", "data"}, ...},    (every parameter, torch's names)
//               "x": {"shape", "data"}, "h0": ..., "c0": ..., "lengths": ...,   (h0, c0, lengths optional)
//               "grad_output": ..., "grad_h_n": ..., "grad_c_n": ...}, ...]}
//
//   {"results": [{"output", "h_n", "c_n" (lstm only),
//                 "grads": {"x": ..., "h0": ..., "c0": ..., "weight_ih_l0": ..., ...}}, ...]}
//
// Backward runs from Σ output·grad_output + Σ h_n·grad_h_n (+ Σ c_n·grad_c_n). Tensors in the
// request are {"shape", "data"} in the case's dtype (lengths int64); replies also carry "dtype".
// Numbers and exit codes are tests/parity/driver_json.h's: a malformed request exits 2, an
// error raised by qkv exits 1; stderr names the case.
#include <set>
#include <string>

#include "nn/rnn/gru.h"
#include "nn/rnn/lstm.h"
#include "qkv.h"
#include "tests/parity/driver_json.h"

using namespace qkv;
using namespace qkv::parity;

namespace {

// An optional tensor: undefined when the field is absent.
Tensor optional_tensor(const json& c, const std::string& name, Dtype dtype) {
  return c.contains(name) ? tensor_from_json(c.at(name), dtype) : Tensor();
}

// Σ a·b over all elements (a differentiable scalar).
Tensor dot(const Tensor& a, const Tensor& b) { return sum(a * b); }

json run_case(const json& c) {
  const std::string mode = field(c, "mode").get<std::string>();
  if (mode != "gru" && mode != "lstm") throw RequestError("mode must be gru or lstm, got '" + mode + "'");
  const json& cj = field(c, "config");
  const RnnConfig config{.input_size = field(cj, "input_size").get<int64_t>(),
                         .hidden_size = field(cj, "hidden_size").get<int64_t>(),
                         .num_layers = field(cj, "num_layers").get<int64_t>(),
                         .bidirectional = field(cj, "bidirectional").get<bool>(),
                         .bias = field(cj, "bias").get<bool>(),
                         .dtype = float_dtype(field(cj, "dtype").get<std::string>())};
  const Dtype dtype = config.dtype;
  GRU gru(mode == "gru" ? config : RnnConfig{.input_size = 1, .hidden_size = 1});
  LSTM lstm(mode == "lstm" ? config : RnnConfig{.input_size = 1, .hidden_size = 1});
  Module& module = mode == "gru" ? static_cast<Module&>(gru) : static_cast<Module&>(lstm);

  // Every parameter must be given, and nothing else.
  const json& params = field(c, "params");
  std::set<std::string> given;
  for (const auto& [name, value] : params.items()) given.insert(name);
  auto named = module.named_parameters();
  for (auto& [name, p] : named) {
    if (!given.erase(name)) throw RequestError("missing parameter '" + name + "'");
    raw::copy_(p, tensor_from_json(params.at(name), dtype));
  }
  if (!given.empty()) throw RequestError("unknown parameter '" + *given.begin() + "'");

  Tensor x = tensor_from_json(field(c, "x"), dtype).requires_grad_();
  Tensor h0 = optional_tensor(c, "h0", dtype);
  Tensor c0 = optional_tensor(c, "c0", dtype);
  if (h0.defined()) h0.requires_grad_();
  if (c0.defined()) c0.requires_grad_();
  const Tensor lengths = optional_tensor(c, "lengths", Dtype::int64);

  json reply;
  Tensor loss;
  if (mode == "gru") {
    if (c0.defined()) throw RequestError("a GRU has no c0");
    const GRU::Output out = gru.forward(x, h0, lengths);
    loss = dot(out.output, tensor_from_json(field(c, "grad_output"), dtype)) +
           dot(out.h_n, tensor_from_json(field(c, "grad_h_n"), dtype));
    reply = {{"output", tensor_to_json(out.output)}, {"h_n", tensor_to_json(out.h_n)}};
  } else {
    const LSTM::Output out = lstm.forward(x, h0, c0, lengths);
    loss = dot(out.output, tensor_from_json(field(c, "grad_output"), dtype)) +
           dot(out.h_n, tensor_from_json(field(c, "grad_h_n"), dtype)) +
           dot(out.c_n, tensor_from_json(field(c, "grad_c_n"), dtype));
    reply = {
        {"output", tensor_to_json(out.output)}, {"h_n", tensor_to_json(out.h_n)}, {"c_n", tensor_to_json(out.c_n)}};
  }
  loss.backward();
  json grads = json::object();
  auto add_grad = [&](const std::string& name, const Tensor& t) {
    if (t.defined()) grads[name] = tensor_to_json(t.grad());
  };
  add_grad("x", x);
  add_grad("h0", h0);
  add_grad("c0", c0);
  for (auto& [name, p] : named) add_grad(name, p);
  reply["grads"] = grads;
  return reply;
}

}  // namespace

int main() { return serve_cases("rnn_parity_driver", run_case); }
