// optim_driver.cpp — runs qkv's optimizers and learning-rate schedules on JSON-described inputs
// for the PyTorch parity test (tests/parity/optim_parity.py).
//
// Reads one request from stdin and writes one reply to stdout:
//
//   {"optimizers": [{"name": "sgd_momentum/float32",
//                    "optimizer": "SGD" | "Adam" | "AdamW",
//                    "options": {"lr": 0.1, "momentum": 0.9, ...},   (SGDOptions / AdamOptions fields)
//                    "dtype": "float32" | "float64",
//                    "params": [{"shape": [4, 5], "data": [...]}, ...],
//                    "steps": [{"grads": [[...] or null, ...],      (null: no gradient this step)
//                               "lr": 0.01,                          (optional: set_lr before the step)
//                               "clip": 1.0}, ...]}, ...],           (optional: clip_grad_norm_ first)
//    "schedules": [{"name": "cosine", "kind": "cosine_lr", "args": {...}, "steps": 50}, ...]}
//
//   {"optimizers": [{"name": ..., "params": [[p0 data, p1 data, ...] after step 1, ...],
//                    "norms": [norm returned by clip_grad_norm_ at each step, or null]}, ...],
//    "schedules": [{"name": ..., "lrs": [schedule(0), schedule(1), ...]}, ...]}
//
// Numbers are exact both ways, and the exit codes are driver_json.h's: a malformed request exits
// 2, an error thrown by qkv exits 1; stderr says which case failed and why.
#include <memory>
#include <string>
#include <vector>

#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/schedule.h"
#include "optim/sgd.h"
#include "qkv.h"
#include "tests/parity/driver_json.h"

using namespace qkv;
using namespace qkv::parity;

namespace {

// options[name] if present, else `fallback`.
template <class T>
T option(const json& options, const std::string& name, T fallback) {
  return options.contains(name) ? options.at(name).get<T>() : fallback;
}

// AdamOptions or AdamWOptions (the same fields, different defaults) from the request's options.
template <class Options>
Options adam_options(const json& o) {
  const Options d;
  return {.lr = option(o, "lr", d.lr),
          .beta1 = option(o, "beta1", d.beta1),
          .beta2 = option(o, "beta2", d.beta2),
          .eps = option(o, "eps", d.eps),
          .weight_decay = option(o, "weight_decay", d.weight_decay)};
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& kind, const json& o, std::vector<Tensor> params) {
  for (const auto& [key, value] : o.items()) {
    if (!value.is_number() && !value.is_boolean()) throw RequestError("option '" + key + "' must be a number");
  }
  if (kind == "SGD") {
    const SGDOptions d;
    return std::make_unique<SGD>(std::move(params),
                                 SGDOptions{.lr = option(o, "lr", d.lr),
                                            .momentum = option(o, "momentum", d.momentum),
                                            .dampening = option(o, "dampening", d.dampening),
                                            .weight_decay = option(o, "weight_decay", d.weight_decay),
                                            .nesterov = option(o, "nesterov", d.nesterov)});
  }
  if (kind == "Adam") return std::make_unique<Adam>(std::move(params), adam_options<AdamOptions>(o));
  if (kind == "AdamW") return std::make_unique<AdamW>(std::move(params), adam_options<AdamWOptions>(o));
  throw RequestError("unknown optimizer '" + kind + "' (expected SGD, Adam or AdamW)");
}

json run_optimizer_case(const json& c) {
  const Dtype dtype = float_dtype(field(c, "dtype").get<std::string>());
  std::vector<Tensor> params;
  for (const json& p : field(c, "params")) {
    params.push_back(tensor_from_json(p, dtype).requires_grad_());
  }
  std::unique_ptr<Optimizer> opt =
      make_optimizer(field(c, "optimizer").get<std::string>(), field(c, "options"), params);
  json trajectory = json::array();
  json norms = json::array();
  for (const json& step : field(c, "steps")) {
    const json& grads = field(step, "grads");
    if (!grads.is_array() || grads.size() != params.size())
      throw RequestError("each step needs one grad per parameter");
    opt->zero_grad();
    for (size_t i = 0; i < params.size(); ++i) {
      if (!grads[i].is_null()) params[i].backward(tensor_from_data(grads[i], params[i].shape(), dtype));
    }
    if (step.contains("lr")) opt->set_lr(step.at("lr").get<double>());
    norms.push_back(step.contains("clip") ? json(clip_grad_norm_(params, step.at("clip").get<double>())) : json());
    opt->step();
    json values = json::array();
    for (const Tensor& p : params) values.push_back(to_vector<double>(p));
    trajectory.push_back(std::move(values));
  }
  return {{"name", field(c, "name")}, {"params", std::move(trajectory)}, {"norms", std::move(norms)}};
}

Schedule make_schedule(const std::string& kind, const json& a) {
  if (kind == "constant_lr") return constant_lr(field(a, "lr").get<double>());
  if (kind == "inverse_sqrt_lr") {
    return inverse_sqrt_lr(field(a, "d_model").get<int64_t>(), field(a, "warmup_steps").get<int64_t>(),
                           option(a, "factor", 1.0));
  }
  if (kind == "warmup_inverse_sqrt_lr") {
    return warmup_inverse_sqrt_lr(field(a, "peak_lr").get<double>(), field(a, "warmup_steps").get<int64_t>());
  }
  if (kind == "cosine_lr") {
    return cosine_lr(field(a, "peak_lr").get<double>(), field(a, "total_steps").get<int64_t>(),
                     option<int64_t>(a, "warmup_steps", 0), option(a, "min_lr", 0.0));
  }
  if (kind == "step_lr") {
    return step_lr(field(a, "lr").get<double>(), field(a, "step_size").get<int64_t>(), option(a, "gamma", 0.1));
  }
  throw RequestError("unknown schedule '" + kind + "'");
}

json run_schedule_case(const json& c) {
  const Schedule schedule = make_schedule(field(c, "kind").get<std::string>(), field(c, "args"));
  json lrs = json::array();
  const int64_t steps = field(c, "steps").get<int64_t>();
  for (int64_t k = 0; k < steps; ++k) lrs.push_back(schedule(k));
  return {{"name", field(c, "name")}, {"lrs", std::move(lrs)}};
}

}  // namespace

int main() {
  std::string current = "(request)";
  return serve_one_request(
      "optim_driver",
      [&](const json& request) {
        json reply = {{"optimizers", json::array()}, {"schedules", json::array()}};
        for (const json& c : request.value("optimizers", json::array())) {
          current = c.value("name", "(unnamed optimizer case)");
          reply["optimizers"].push_back(run_optimizer_case(c));
        }
        for (const json& c : request.value("schedules", json::array())) {
          current = c.value("name", "(unnamed schedule case)");
          reply["schedules"].push_back(run_schedule_case(c));
        }
        return reply;
      },
      [&] { return "case '" + current + "'"; });
}
