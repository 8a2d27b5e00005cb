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
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t done, const std::string& fields) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (start_done_ < 0) {  // a resumed epoch starts part-way: measure speed from here
    start_done_ = done - 1;
    start_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int64_t counted = done - start_done_;
  const double left = counted > 0 ? elapsed / static_cast<double>(counted) * static_cast<double>(total_ - done) : 0;
  if (terminal_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    constexpr int kWidth = 24;
    const auto filled = static_cast<int>(kWidth * done / total_);
    fmt::print(stderr, "\r{} [{}{}] {}/{}  {}  {} left\x1b[K", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), done, total_, fields, format_duration(left));
    std::fflush(stderr);
    drawn_ = true;
  } else {
    const int64_t decile = 10 * done / total_;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    fmt::print(stderr, "{} {}/{}  {}  {} left\n", label_, done, total_, fields, format_duration(left));
  }
  last_draw_ = now;
}

void ProgressBar::finish() {
  if (enabled_ && terminal_ && drawn_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace qkv::train
