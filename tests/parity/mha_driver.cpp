// mha_driver.cpp — runs JSON-described MultiHeadAttention cases through qkv for mha_parity.py.
//
// Reads one request on stdin, {"cases": [case, ...]}, and writes {"results": [reply, ...]}. A case:
//
//   {"dtype": "float64", "embed_dim": E, "num_heads": H, "kdim": K, "vdim": V,
//    "fused": true,            // scaled_dot may take the fused kernel (false: always composed)
//    "need_weights": true,     // also return the per-head weights (B, H, Tq, Tk)
//    "self": true,             // key and value are the query itself (one input, one gradient)
//    "query": tensor, "key": tensor, "value": tensor,          // key/value absent when self
//    "params": {"q_proj.weight": tensor, ...},                  // every parameter, qkv's names
//    "causal": true,           // AttentionMask::causal()
//    "key_is_pad": tensor,     // bool (B, Tk), true = padding: AttentionMask::key_padding
//    "allowed": tensor,        // bool, true = may attend: AttentionMask::allowing
//    "grad_output": tensor, "grad_weights": tensor}             // grad_weights with need_weights
//
// Masks arrive in qkv's convention (true = may attend, or true = padding for key_is_pad); the
// Python side translates torch's (true = may NOT attend) explicitly. The driver backpropagates
// Σ out·grad_output + Σ weights·grad_weights and replies
//
//   {"output": tensor, "weights": tensor or null,
//    "grads": {"query": ..., "key": ..., "value": ..., "q_proj.weight": ..., ...}}
//
// Tensors, numbers and exit codes are driver_json.h's: a malformed request exits 2, a qkv error 1.
#include <string>

#include "qkv.h"
#include "tensor/elementwise.h"
#include "tests/parity/driver_json.h"

using namespace qkv;
using namespace qkv::parity;

namespace {

json run_case(const json& c) {
  MultiHeadAttentionConfig config;
  config.dtype = float_dtype(field(c, "dtype").get<std::string>());
  config.embed_dim = field(c, "embed_dim").get<int64_t>();
  config.num_heads = field(c, "num_heads").get<int64_t>();
  config.kdim = field(c, "kdim").get<int64_t>();
  config.vdim = field(c, "vdim").get<int64_t>();
  if (!field(c, "fused").get<bool>()) config.options["fused"] = 0;
  MultiHeadAttention mha(config);
  mha.eval();

  // Parameters: every one must be given, and every given one must exist.
  const json& params = field(c, "params");
  size_t matched = 0;
  for (auto& [name, p] : mha.named_parameters()) {
    const Tensor value = tensor_from_json(field(params, name));
    if (value.shape() != p.shape()) {
      throw RequestError("parameter " + name + " has shape " + fmt::format("{}", p.shape()) + ", got " +
                         fmt::format("{}", value.shape()));
    }
    raw::copy_(p, value);
    ++matched;
  }
  if (matched != params.size()) throw RequestError("the request names parameters the module does not have");

  const bool self = field(c, "self").get<bool>();
  const Tensor query = tensor_from_json(field(c, "query")).requires_grad_();
  const Tensor key = self ? query : tensor_from_json(field(c, "key")).requires_grad_();
  const Tensor value = self ? query : tensor_from_json(field(c, "value")).requires_grad_();

  AttentionMask mask;
  if (field(c, "causal").get<bool>()) mask = mask & AttentionMask::causal();
  if (c.contains("key_is_pad")) mask = mask & AttentionMask::key_padding(tensor_from_json(c.at("key_is_pad")));
  if (c.contains("allowed")) mask = mask & AttentionMask::allowing(tensor_from_json(c.at("allowed")));

  const bool need_weights = field(c, "need_weights").get<bool>();
  const AttentionResult r = mha.forward(query, key, value, mask, need_weights);
  Tensor loss = sum(r.out * tensor_from_json(field(c, "grad_output")));
  if (need_weights) loss = loss + sum(r.weights * tensor_from_json(field(c, "grad_weights")));
  loss.backward();

  json grads = json::object();
  grads["query"] = tensor_to_json(query.grad());
  if (!self) {
    grads["key"] = tensor_to_json(key.grad());
    grads["value"] = tensor_to_json(value.grad());
  }
  for (auto& [name, p] : mha.named_parameters()) grads[name] = tensor_to_json(p.grad());
  return {{"output", tensor_to_json(r.out)}, {"weights", tensor_to_json(r.weights)}, {"grads", grads}};
}

}  // namespace

int main() { return serve_cases("mha_driver", run_case); }
