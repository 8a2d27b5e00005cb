// eval_mode_guard.h — puts a module in eval mode and restores its train/eval mode on scope exit
// (also when an exception leaves the scope).
#pragma once

#include "nn/module.h"

namespace qkv::models {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& m) : module_(m), was_training_(m.training()) { m.eval(); }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Module& module_;
  bool was_training_;
};

}  // namespace qkv::models
