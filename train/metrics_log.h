// metrics_log.h — MetricsLog: the run's numbers as JSON lines (metrics.jsonl), one object per
// training step and one per validation, plus the training-curve images drawn from them.
//
//   {"kind":"train","epoch":0,"step":17,"loss":6.93,"lr":1.7e-05,"grad_norm":3.1,"tokens":4012,"tokens_per_s":10210,"elapsed":6.2}
//   {"kind":"valid","epoch":1,"step":118,"loss":4.2,"ppl":66.7,"bleu":9.8,"chrf":31.0,"elapsed":61.3}
//
// A training row's epoch is the epoch it belongs to, from 0; a validation row's is the number of
// epochs finished when it ran (1 after the first), so the two rows above sit in the same epoch.
//
// Resuming keeps the rows up to the checkpoint's step and drops any written after it (by a run
// that died before its next checkpoint), so the log of an interrupted and resumed run reads
// like an uninterrupted one.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace qkv::train {

struct MetricsRow {
  std::string kind;  // "train" or "valid"
  int64_t epoch = 0, step = 0;
  double loss = 0;
  double lr = 0, grad_norm = 0, tokens = 0, tokens_per_s = 0;  // train rows
  double ppl = 0, bleu = 0, chrf = 0;                          // valid rows
  double elapsed = 0;
};

class MetricsLog {
 public:
  // Starts a new log at `path`, or (resume_step >= 0) keeps the rows with step <= resume_step.
  MetricsLog(std::string path, int64_t resume_step);
  void append(const MetricsRow& row);
  const std::vector<MetricsRow>& rows() const { return rows_; }
  // training_curve.svg and bleu.svg (train/training_plots.h) in `dir`; nothing to draw yet is
  // not an error.
  void save_plots(const std::string& dir) const;

 private:
  std::string path_;
  std::vector<MetricsRow> rows_;
  std::ofstream out_;
};

// Reads a metrics.jsonl; throws qkv::Error naming the file and line of a malformed row.
std::vector<MetricsRow> read_metrics(const std::string& path);

}  // namespace qkv::train
