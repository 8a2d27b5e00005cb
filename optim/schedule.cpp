// schedule.cpp — the learning-rate schedules, each a lambda over its checked arguments.
#include "optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tensor/error.h"

namespace qkv {
namespace {

void check_lr(const char* schedule, const char* what, double lr) {
  check(std::isfinite(lr) && lr >= 0, "{}: {} must be finite and >= 0, got {}", schedule, what, lr);
}

void check_step(const char* schedule, int64_t step) {
  check(step >= 0, "{}: step must be >= 0 (the number of updates taken), got {}", schedule, step);
}

}  // namespace

Schedule constant_lr(double lr) {
  check_lr("constant_lr", "lr", lr);
  return [lr](int64_t step) {
    check_step("constant_lr", step);
    return lr;
  };
}

Schedule inverse_sqrt_lr(int64_t d_model, int64_t warmup_steps, double factor) {
  check(d_model > 0, "inverse_sqrt_lr: d_model must be > 0, got {}", d_model);
  check(warmup_steps > 0, "inverse_sqrt_lr: warmup_steps must be > 0, got {}", warmup_steps);
  check_lr("inverse_sqrt_lr", "factor", factor);
  const double scale = factor / std::sqrt(static_cast<double>(d_model));
  const double warmup = static_cast<double>(warmup_steps);
  return [scale, warmup](int64_t step) {
    check_step("inverse_sqrt_lr", step);
    const double n = static_cast<double>(step) + 1;
    // lr = factor · d_model^-0.5 · min(n^-0.5, n · warmup^-1.5)
    return scale * std::min(1 / std::sqrt(n), n * std::pow(warmup, -1.5));
  };
}

Schedule warmup_inverse_sqrt_lr(double peak_lr, int64_t warmup_steps) {
  check_lr("warmup_inverse_sqrt_lr", "peak_lr", peak_lr);
  check(warmup_steps > 0, "warmup_inverse_sqrt_lr: warmup_steps must be > 0, got {}", warmup_steps);
  const double warmup = static_cast<double>(warmup_steps);
  return [peak_lr, warmup](int64_t step) {
    check_step("warmup_inverse_sqrt_lr", step);
    const double n = static_cast<double>(step) + 1;
    return peak_lr * std::min(n / warmup, std::sqrt(warmup / n));  // lr = peak · min(n/w, √(w/n))
  };
}

Schedule cosine_lr(double peak_lr, int64_t total_steps, int64_t warmup_steps, double min_lr) {
  check_lr("cosine_lr", "peak_lr", peak_lr);
  check_lr("cosine_lr", "min_lr", min_lr);
  check(min_lr <= peak_lr, "cosine_lr: min_lr ({}) must not exceed peak_lr ({})", min_lr, peak_lr);
  check(warmup_steps >= 0, "cosine_lr: warmup_steps must be >= 0, got {}", warmup_steps);
  check(total_steps > warmup_steps, "cosine_lr: total_steps ({}) must be greater than warmup_steps ({})", total_steps,
        warmup_steps);
  return [=](int64_t step) {
    check_step("cosine_lr", step);
    if (step < warmup_steps) {
      return peak_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);  // linear warmup
    }
    // lr = min + (peak - min)·(1 + cos(π·elapsed/span))/2, held at min once elapsed ≥ span
    const double elapsed = static_cast<double>(std::min(step, total_steps) - warmup_steps);
    const double span = static_cast<double>(total_steps - warmup_steps);
    return min_lr + (peak_lr - min_lr) * (1 + std::cos(std::numbers::pi * elapsed / span)) / 2;
  };
}

Schedule step_lr(double lr, int64_t step_size, double gamma) {
  check_lr("step_lr", "lr", lr);
  check(step_size > 0, "step_lr: step_size must be > 0, got {}", step_size);
  check(std::isfinite(gamma) && gamma >= 0, "step_lr: gamma must be finite and >= 0, got {}", gamma);
  return [=](int64_t step) {
    check_step("step_lr", step);
    return lr * std::pow(gamma, static_cast<double>(step / step_size));  // lr·γ^⌊step/size⌋
  };
}

}  // namespace qkv
