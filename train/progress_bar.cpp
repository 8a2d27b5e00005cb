// progress_bar.cpp — drawing the training progress line.
#include "train/progress_bar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace qkv::train {

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) != 0) {
  last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t done, const std::string& fields, double left_seconds) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::string left = left_seconds < 0 ? std::string("?") : format_duration(left_seconds);
  if (terminal_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    constexpr int kWidth = 24;
    const auto filled = static_cast<int>(kWidth * done / total_);
    fmt::print(stderr, "\r{} [{}{}] {}/{}  {}  {} left\x1b[K", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), done, total_, fields, left);
    std::fflush(stderr);
    drawn_ = true;
  } else {
    const int64_t decile = 10 * done / total_;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    fmt::print(stderr, "{} {}/{}  {}  {} left\n", label_, done, total_, fields, left);
  }
  last_draw_ = now;
}

void ProgressBar::finish() {
  if (enabled_ && terminal_ && drawn_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace qkv::train
