// run_log.cpp — lines to the terminal and to train.log.
#include "train/run_log.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace qkv::train {

RunLog::RunLog(const std::string& path, bool quiet, bool append)
    : file_(path, append ? std::ios::app : std::ios::trunc), quiet_(quiet) {
  check(file_.good(), "qkv train: cannot write the run log '{}'", path);
}

void RunLog::info(const std::string& line) { write(quiet_ ? nullptr : stdout, line); }
void RunLog::problem(const std::string& line) { write(stderr, line); }
void RunLog::outcome(const std::string& line) { write(stdout, line); }

void RunLog::write(std::FILE* terminal, const std::string& line) {
  file_ << line << '\n' << std::flush;
  if (terminal == nullptr) return;
  fmt::print(terminal, "{}\n", line);
  std::fflush(terminal);
}

}  // namespace qkv::train
