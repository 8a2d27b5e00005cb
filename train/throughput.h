// throughput.h — ThroughputWindow: tokens per second over the last few seconds, for the
// progress bar and metrics.jsonl. The window restarts every ten seconds, so the figure follows
// the current speed (after a validation, or while another process shares the CPU) rather than
// the run's average.
#pragma once

#include <chrono>

namespace qkv::train {

class ThroughputWindow {
 public:
  // Counts `tokens` just processed; returns the tokens per second since the window started.
  double add(double tokens) {
    tokens_ += tokens;
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double per_second = seconds > 0 ? tokens_ / seconds : 0;
    if (seconds > kSeconds) {
      start_ = Clock::now();
      tokens_ = 0;
    }
    return per_second;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr double kSeconds = 10;
  Clock::time_point start_ = Clock::now();
  double tokens_ = 0;
};

}  // namespace qkv::train
