// progress_bar.h — ProgressBar: one line on stderr, redrawn in place, for the batches of an epoch.
//
//   epoch 3/20 [#########.........] 212/480  loss 3.412  lr 7.1e-04  11.8k tok/s  1:12:41 left
//
// "left" is the caller's estimate for the whole run (the trainer's: the nearest of its limits),
// not for the bar's epoch.
//
// On a terminal the line is redrawn at most ten times a second; when stderr is a file or a pipe
// (a CI log), a plain line is printed at every tenth of the epoch instead, so logs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qkv::train {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled);
  // `done` of `total` batches finished; `fields` is the text after the counts; `left_seconds`
  // the time the run has left (negative: not known yet).
  void update(int64_t done, const std::string& fields, double left_seconds);
  // Ends the line (a newline on a terminal).
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_, terminal_;
  int64_t last_decile_ = -1;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1:02:03" or "4:05": seconds as hours, minutes and seconds.
std::string format_duration(double seconds);

}  // namespace qkv::train
