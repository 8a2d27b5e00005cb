// run_directory.cpp — refusing to overwrite a run, and the directory lock (flock).
#include "train/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error.h"

namespace qkv::train {
namespace fs = std::filesystem;

namespace {

// A file a run writes: its checkpoints, its metrics log and what is derived from them.
bool is_run_file(const std::string& name) {
  if (name == "last.safetensors" || name == "best.safetensors" || name == "metrics.jsonl") return true;
  return name.starts_with("epoch-") && name.ends_with(".safetensors");
}

// Files a new run rewrites anyway, removed with the run's own files under --overwrite.
bool is_derived_file(const std::string& name) {
  return name == "train.log" || name == "config.toml" || name == "training_curve.svg" || name == "bleu.svg";
}

std::string lock_path(const std::string& dir) { return (fs::path(dir) / ".lock").string(); }

// The pid a lock file holds, for messages.
std::string pid_in(int fd) {
  char pid[32] = {};
  const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
  const std::string text = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("?");
  return text.substr(0, text.find_first_of("\n "));
}

std::string in_use_message(const std::string& dir, const std::string& pid) {
  return fmt::format(
      "qkv train: '{}' is in use by another qkv train (pid {}); wait for it to end or choose another --out-dir", dir,
      pid);
}

// Throws the in-use error if a live run holds `dir`'s lock; creates nothing.
void refuse_if_in_use(const std::string& dir) {
  const int fd = ::open(lock_path(dir).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  const std::string pid = held ? pid_in(fd) : "";
  ::close(fd);  // also releases the lock if this call took it
  if (held) throw Error(in_use_message(dir, pid));
}

[[noreturn]] void throw_existing_run(const std::string& dir, const std::vector<std::string>& found) {
  throw Error(
      fmt::format("qkv train: '{}' already holds a run ({}); continue it with --resume {}/last.safetensors, start over "
                  "with --overwrite, or choose another --out-dir",
                  dir, fmt::join(found, ", "), dir));
}

}  // namespace

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (is_run_file(name)) found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

void refuse_existing_run(const std::string& dir) {
  const std::vector<std::string> found = run_files_in(dir);
  if (found.empty()) return;
  refuse_if_in_use(dir);  // a run in progress: --resume would be the wrong advice
  throw_existing_run(dir, found);
}

void prepare_run_directory(const RunDirectoryLock& /*held*/, const std::string& dir, bool overwrite) {
  const std::vector<std::string> found = run_files_in(dir);
  if (found.empty()) return;
  if (!overwrite) throw_existing_run(dir, found);
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_run_file(name) || is_derived_file(name)) fs::remove(entry.path());
  }
}

namespace {

// The directories create_directories(dir) is about to create, deepest first.
std::vector<std::string> missing_directories(const std::string& dir) {
  std::vector<std::string> missing;
  std::error_code ec;
  for (fs::path p = fs::absolute(dir, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  return missing;
}

// Whether `fd` is still the file at `path` (it may have been unlinked by the run that released it).
bool still_at(int fd, const std::string& path) {
  struct stat open_file {
  }, named{};
  return ::fstat(fd, &open_file) == 0 && ::stat(path.c_str(), &named) == 0 && open_file.st_dev == named.st_dev &&
         open_file.st_ino == named.st_ino;
}

}  // namespace

RunDirectoryLock::RunDirectoryLock(const std::string& dir) : dir_(dir), created_(missing_directories(dir)) {
  fs::create_directories(dir);
  const std::string path = lock_path(dir);
  for (int attempt = 0; fd_ < 0; ++attempt) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    check(fd_ >= 0, "qkv train: cannot open the lock file '{}': {}", path, std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string pid = pid_in(fd_);
      ::close(fd_);
      fd_ = -1;
      check(error == EWOULDBLOCK, "qkv train: cannot lock '{}': {}", path, std::strerror(error));
      throw Error(in_use_message(dir, pid));
    }
    if (!still_at(fd_, path)) {  // its holder removed it as we took it: lock the new one
      ::close(fd_);
      fd_ = -1;
      check(attempt < 100, "qkv train: cannot lock '{}': it keeps being replaced", path);
    }
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message of a second run; the lock itself holds.
  }
}

RunDirectoryLock::~RunDirectoryLock() {
  if (fd_ < 0) return;
  ::unlink(lock_path(dir_).c_str());  // before the flock goes, so no one locks a file about to vanish
  ::close(fd_);                       // releases the flock
  for (const std::string& created : created_) {
    if (::rmdir(created.c_str()) != 0) break;  // not empty: the run wrote there
  }
}

}  // namespace qkv::train
