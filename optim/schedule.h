// schedule.h — learning-rate schedules: pure functions from a step number to a learning rate.
//
//   Schedule schedule = inverse_sqrt_lr(/*d_model=*/512, /*warmup_steps=*/4000);
//   for (...) {
//     opt.set_lr(schedule(opt.step_count()));
//     ...
//     opt.step();
//   }
//
// `step` counts the updates already taken (Optimizer::step_count()), from 0: schedule(k) is
// the learning rate of the (k+1)-th update. This is torch.optim.lr_scheduler's convention
// (the scheduler's last_epoch), so constant_lr, step_lr and cosine_lr without warmup give, at
// every step, the value torch's ConstantLR(factor=1), StepLR and CosineAnnealingLR give at the
// same last_epoch. A schedule is a plain function: it keeps no state, so resuming from a
// checkpoint needs only the step count. Every factory checks its arguments and every schedule
// checks step >= 0, throwing qkv::Error naming the schedule and the value.
#pragma once

#include <cstdint>
#include <functional>

#include "tensor/enum_names.h"

namespace qkv {

using Schedule = std::function<double(int64_t step)>;

// The decay after the warmup that a training run chooses (qkv train --schedule): warmup then
// 1/√step (warmup_inverse_sqrt_lr), or warmup then half a cosine down to 0 (cosine_lr).
enum class LrSchedule { inverse_sqrt, cosine };
constexpr EnumNames<LrSchedule, 2> enum_names(LrSchedule) {
  return {"schedule", {{{LrSchedule::inverse_sqrt, "inverse-sqrt"}, {LrSchedule::cosine, "cosine"}}}};
}

// lr at every step.
Schedule constant_lr(double lr);

// The Transformer paper's schedule ("Attention Is All You Need", eq. 3), which counts steps
// from 1, so with n = step + 1:
//   lr = factor · d_model^-0.5 · min(n^-0.5, n · warmup^-1.5)
// It rises linearly for `warmup_steps` updates, peaks at factor·(d_model·warmup)^-0.5, then
// decays as 1/√n.
Schedule inverse_sqrt_lr(int64_t d_model, int64_t warmup_steps, double factor = 1);

// The same shape with its peak given directly, with n = step + 1:
//   lr = peak_lr · min(n / warmup, √(warmup / n))
Schedule warmup_inverse_sqrt_lr(double peak_lr, int64_t warmup_steps);

// Linear warmup from peak_lr/warmup to peak_lr over the first `warmup_steps` updates
// (lr = peak_lr · (step+1)/warmup), then half a cosine from peak_lr down to min_lr:
//   lr = min_lr + (peak_lr - min_lr) · (1 + cos(π · (step - warmup)/(total - warmup))) / 2
// reaching min_lr at step = total_steps and staying there (torch's CosineAnnealingLR would
// rise again after T_max; we hold the minimum). With warmup_steps = 0 it equals
// CosineAnnealingLR(T_max = total_steps, eta_min = min_lr) for steps 0..total_steps.
Schedule cosine_lr(double peak_lr, int64_t total_steps, int64_t warmup_steps = 0, double min_lr = 0);

// lr · gamma^floor(step / step_size): torch's StepLR.
Schedule step_lr(double lr, int64_t step_size, double gamma = 0.1);

}  // namespace qkv
