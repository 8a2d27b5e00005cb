// optimizer.cpp — what every optimizer shares: parameter checks, the step loop that skips
// parameters without gradients, lazily created per-parameter slots, and state save/restore.
#include "optim/optimizer.h"

#include <cmath>
#include <optional>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "tensor/factories.h"

namespace qkv {
namespace {

// "param.<i>.<field>" -> (i, field); nullopt for any other shape of name.
struct ParamKey {
  size_t index;
  std::string field;
};
std::optional<ParamKey> parse_param_key(const std::string& key) {
  const std::string prefix = "param.";
  if (key.rfind(prefix, 0) != 0) return std::nullopt;
  size_t pos = prefix.size();
  size_t index = 0;
  const size_t digits_start = pos;
  while (pos < key.size() && key[pos] >= '0' && key[pos] <= '9' && pos - digits_start < 18) {
    index = index * 10 + static_cast<size_t>(key[pos] - '0');
    ++pos;
  }
  if (pos == digits_start || pos >= key.size() || key[pos] != '.' || pos + 1 == key.size()) return std::nullopt;
  return ParamKey{index, key.substr(pos + 1)};
}

}  // namespace

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, double lr, std::vector<std::string> slot_names)
    : name_(std::move(name)),
      params_(std::move(params)),
      lr_(0),
      slot_names_(std::move(slot_names)),
      slots_(params_.size()),
      param_steps_(params_.size(), 0) {
  set_lr(lr);
  check(!params_.empty(), "{}: got an empty list of parameters", name_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    check(p.defined(), "{}: parameter {} is undefined", name_, i);
    check(is_floating(p.dtype()), "{}: parameter {} must be float32 or float64, got {}", name_, i, p.dtype());
    check(p.is_contiguous(), "{}: parameter {} (shape {}, strides {}) must be contiguous", name_, i, p.shape(),
          p.strides());
    check(!(p.autograd_meta() && p.autograd_meta()->grad_fn),
          "{}: parameter {} was computed by an op (it is not a leaf); optimize the leaf tensors it came from", name_,
          i);
    for (size_t j = 0; j < i; ++j) {  // contiguous, so each covers [offset, offset + numel)
      const Tensor& q = params_[j];
      const bool overlap =
          q.storage() == p.storage() && q.offset() < p.offset() + p.numel() && p.offset() < q.offset() + q.numel();
      check(!overlap,
            "{}: parameters {} and {} overlap in memory (the same tensor listed twice, e.g. tied weights?); pass "
            "each parameter once",
            name_, j, i);
    }
  }
}

void Optimizer::set_lr(double lr) {
  check_hyperparameter(std::isfinite(lr) && lr >= 0, "lr", "finite and >= 0", lr);
  lr_ = lr;
}

void Optimizer::check_hyperparameter(bool ok, const char* what, const char* rule, double value) const {
  check(ok, "{}: {} must be {}, got {}", name_, what, rule, value);
}

void Optimizer::step() {
  // Validate every gradient before touching anything, so an error leaves the model unchanged.
  std::vector<Tensor> grads(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    check(g.shape() == p.shape() && g.dtype() == p.dtype(),
          "{}.step: parameter {} has shape {} and dtype {} but its gradient has shape {} and dtype {}", name_, i,
          p.shape(), p.dtype(), g.shape(), g.dtype());
    grads[i] = g.is_contiguous() ? g : g.clone();
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!grads[i].defined()) continue;
    if (slots_[i].empty()) {
      for (size_t s = 0; s < slot_names_.size(); ++s) slots_[i].push_back(zeros_like(params_[i]));
    }
    update(params_[i], grads[i], slots_[i], ++param_steps_[i]);
    params_[i].bump_version();  // an in-place write: autograd must see it
  }
  ++step_count_;
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

OptimizerState Optimizer::state() const {
  OptimizerState out;
  out.optimizer = name_;
  out.scalars = hyperparameters();
  out.scalars["lr"] = lr_;
  out.scalars["step"] = static_cast<double>(step_count_);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (param_steps_[i] == 0) continue;
    const std::string prefix = fmt::format("param.{}.", i);
    out.tensors[prefix + "step"] = scalar(static_cast<double>(param_steps_[i]), Dtype::int64);
    for (size_t s = 0; s < slot_names_.size(); ++s) out.tensors[prefix + slot_names_[s]] = slots_[i][s].clone();
  }
  return out;
}

void Optimizer::load_state(const OptimizerState& state) {
  const std::string op = name_ + ".load_state";
  check(state.optimizer == name_, "{}: the state was saved by {}, not {}", op,
        state.optimizer.empty() ? "an unnamed optimizer" : state.optimizer, name_);

  // Scalars: exactly lr, step and this optimizer's hyperparameters, which must be unchanged.
  std::map<std::string, double> expected = hyperparameters();
  for (const auto& [key, value] : state.scalars) {
    if (key == "lr" || key == "step") continue;
    auto it = expected.find(key);
    check(it != expected.end(), "{}: unknown scalar '{}' (not a hyperparameter of {})", op, key, name_);
    check(it->second == value, "{}: {} is {} in this optimizer but {} in the saved state", op, key, it->second, value);
  }
  expected["lr"] = 0;
  expected["step"] = 0;
  for (const auto& [key, unused] : expected) {
    check(state.scalars.count(key) == 1, "{}: the state has no scalar '{}'", op, key);
  }
  const double lr = state.scalars.at("lr");
  check(std::isfinite(lr) && lr >= 0, "{}: lr must be finite and >= 0, got {}", op, lr);
  const double step = state.scalars.at("step");
  check(step >= 0 && step < 9007199254740992.0 && std::floor(step) == step,
        "{}: step must be a whole number >= 0, got {}", op, step);

  // Tensors: "param.<i>.step" and every slot for each parameter updated so far, shaped like it.
  std::vector<int64_t> steps(params_.size(), 0);
  std::vector<std::vector<Tensor>> slots(params_.size());
  std::vector<size_t> found(params_.size(), 0);
  for (const auto& [key, t] : state.tensors) {
    const std::optional<ParamKey> pk = parse_param_key(key);
    check(pk.has_value(), "{}: unknown tensor '{}' (expected names like 'param.0.step')", op, key);
    check(pk->index < params_.size(), "{}: tensor '{}' is for parameter {} but the optimizer has {} parameters", op,
          key, pk->index, params_.size());
    check(t.defined(), "{}: tensor '{}' is undefined", op, key);
    const Tensor& p = params_[pk->index];
    if (pk->field == "step") {
      check(t.dtype() == Dtype::int64 && t.numel() == 1, "{}: '{}' must be one int64, got shape {} and dtype {}", op,
            key, t.shape(), t.dtype());
      steps[pk->index] = static_cast<int64_t>(t.item());
      check(steps[pk->index] >= 1, "{}: '{}' must be >= 1, got {}", op, key, steps[pk->index]);
    } else {
      size_t s = 0;
      while (s < slot_names_.size() && slot_names_[s] != pk->field) ++s;
      check(s < slot_names_.size(), "{}: unknown tensor '{}' ({} keeps no '{}')", op, key, name_, pk->field);
      check(t.shape() == p.shape() && t.dtype() == p.dtype(),
            "{}: '{}' has shape {} and dtype {} but parameter {} has shape {} and dtype {}", op, key, t.shape(),
            t.dtype(), pk->index, p.shape(), p.dtype());
      if (slots[pk->index].empty()) slots[pk->index].resize(slot_names_.size());
      slots[pk->index][s] = t.clone();
    }
    ++found[pk->index];
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    if (found[i] == 0) continue;
    check(steps[i] >= 1, "{}: the state has tensors for parameter {} but no 'param.{}.step'", op, i, i);
    slots[i].resize(slot_names_.size());
    for (size_t s = 0; s < slot_names_.size(); ++s) {
      check(slots[i][s].defined(), "{}: the state has 'param.{}.step' but no 'param.{}.{}'", op, i, i, slot_names_[s]);
    }
  }

  // Everything checked: commit.
  lr_ = lr;
  step_count_ = static_cast<int64_t>(step);
  param_steps_ = std::move(steps);
  slots_ = std::move(slots);
}

}  // namespace qkv
