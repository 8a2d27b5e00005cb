// grad_mode.h — switches that change what ops record: grad mode and anomaly mode.
//
//   { NoGradGuard guard; y = model(x); }   // nothing recorded inside the braces
//   { AnomalyGuard guard; loss.backward(); } // throws at the first op producing NaN/Inf
//
// Both are per thread and restored when the guard leaves scope.
#pragma once

namespace qkv {

bool grad_enabled();
bool anomaly_enabled();

// Disables recording for its lifetime (inference, optimizer steps, the backward pass itself).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Enables anomaly detection for its lifetime: every recorded op checks its forward output and
// every backward step checks the gradients it produced, throwing at the first NaN or Inf with
// the op's name.
class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace qkv
