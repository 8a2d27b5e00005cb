// run_log.h — RunLog: what qkv train tells the user, on the terminal and in DIR/train.log.
//
// Every line goes to train.log (plain text, flushed per line, so `tail -f` follows the run).
// On the terminal, info() lines go to stdout unless --quiet; problem() lines go to stderr and
// outcome() lines (the final message) to stdout, always. The progress bar is not logged: it is a
// picture of the moment, and metrics.jsonl has every step.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>

namespace qkv::train {

class RunLog {
 public:
  // Truncates `path` for a new run; appends for a resumed one.
  RunLog(const std::string& path, bool quiet, bool append);
  void info(const std::string& line);
  void problem(const std::string& line);
  void outcome(const std::string& line);

 private:
  void write(std::FILE* terminal, const std::string& line);
  std::ofstream file_;
  bool quiet_;
};

}  // namespace qkv::train
