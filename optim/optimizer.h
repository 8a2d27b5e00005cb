// optimizer.h — Optimizer: the base of SGD, Adam and AdamW, and OptimizerState, its saved form.
//
//   SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   for (...) {
//     opt.set_lr(schedule(opt.step_count()));   // optional: optim/schedule.h
//     opt.zero_grad();
//     loss(model, batch).backward();
//     clip_grad_norm_(opt.parameters(), 1.0);   // optional: optim/clip.h
//     opt.step();
//   }
//
// The optimizer holds copies of the parameter tensors, which share storage and gradient slots
// with the module's, so step() writes the module's weights in place and reads the gradients
// backward() left there. Load checkpoints into parameters with copy_, never by replacing the
// module's tensors: the optimizer would keep updating the old ones.
//
// step() validates every parameter's gradient first and only then updates, under NoGradGuard,
// with tight loops over the contiguous float32/float64 data. Parameters without a gradient are
// skipped and their per-parameter state is untouched, as in torch.optim. Per-parameter state
// (momentum buffers, moment estimates) is created lazily, at a parameter's first update.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace qkv {

// Everything an optimizer needs to continue exactly where it stopped:
//   tensors  "param.<i>.step" (int64, rank 0: updates applied to parameter i) and one tensor per
//            slot, "param.<i>.<slot>" (e.g. "param.3.exp_avg"), for each parameter updated so far;
//   scalars  "lr", "step" (step() calls so far) and the hyperparameters ("momentum", "beta1", ...).
// Counts are stored as doubles among the scalars (exact below 2^53).
struct OptimizerState {
  std::string optimizer;                  // "SGD", "Adam" or "AdamW"
  std::map<std::string, Tensor> tensors;  // copies, owned by the state
  std::map<std::string, double> scalars;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  void step();
  // Forgets every parameter's gradient (sets it to undefined, like torch's set_to_none=True).
  void zero_grad();

  double lr() const { return lr_; }
  // Sets the learning rate for the next steps; it must be finite and >= 0.
  void set_lr(double lr);
  // Number of step() calls so far: the argument for a schedule (optim/schedule.h).
  int64_t step_count() const { return step_count_; }
  const std::vector<Tensor>& parameters() const { return params_; }
  // "SGD", "Adam", "AdamW": the prefix of every error message.
  const std::string& name() const { return name_; }

  // A copy of the optimizer's state (see OptimizerState).
  OptimizerState state() const;
  // Restores a state saved by state() of an optimizer of the same kind, over parameters of the
  // same shapes and dtypes, with the same hyperparameters (the learning rate is restored, the
  // others must match). Validates everything before changing anything; throws naming the
  // first problem.
  void load_state(const OptimizerState& state);

 protected:
  // Checks the parameters: at least one; each defined, float32/float64, contiguous, not computed
  // by an op (a leaf) and not overlapping another one in memory. `slot_names` are the
  // per-parameter tensors the subclass keeps, each shaped like its parameter.
  Optimizer(std::string name, std::vector<Tensor> params, double lr, std::vector<std::string> slot_names);

  // Applies one update to `param` given `grad` (contiguous, same shape and dtype) and the
  // parameter's slots (zero-filled before its first update). `step` counts this parameter's
  // updates including this one, so it is 1 on the first.
  virtual void update(const Tensor& param, const Tensor& grad, std::span<Tensor> slots, int64_t step) = 0;

  // The hyperparameters other than lr, by name, for state() and load_state().
  virtual std::map<std::string, double> hyperparameters() const = 0;

  // Throws qkv::Error "<name>: <what> must be <rule>, got <value>" unless ok.
  void check_hyperparameter(bool ok, const char* what, const char* rule, double value) const;

 private:
  std::string name_;
  std::vector<Tensor> params_;
  double lr_;
  int64_t step_count_ = 0;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<Tensor>> slots_;  // [parameter][slot]; empty until the first update
  std::vector<int64_t> param_steps_;        // updates applied to each parameter
};

}  // namespace qkv
