// atomic_file.cpp — temporary file + fsync + rename + directory fsync, with POSIX calls.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <regex>
#include <system_error>
#include <utility>

#include "tensor/error.h"

namespace qkv {
namespace {

thread_local testing::ScopedWriteHook::Hook write_hook;
std::atomic<uint64_t> temp_counter{0};

std::string errno_message(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// fsync on a directory makes a rename inside it durable. Some file systems refuse fsync on
// directories (EINVAL); there is nothing more to do on those.
void sync_directory(const std::string& target) {
  const std::string dir = directory_of(target);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check(fd >= 0, "write '{}': cannot open directory '{}' to sync it: {}", target, dir, errno_message(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  check(rc == 0 || err == EINVAL, "write '{}': the new file is in place but syncing directory '{}' failed: {}", target,
        dir, errno_message(err));
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  check(!path_.empty(), "AtomicFile: the path is empty");
  const std::filesystem::path target(path_);
  check(target.has_filename(), "write '{}': the path names a directory, not a file", path_);
  const std::string dir = directory_of(path_);
  int err = 0;
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    const std::string name =
        fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(), temp_counter.fetch_add(1));
    temp_path_ = (std::filesystem::path(dir) / name).string();
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    err = fd_ < 0 ? errno : 0;
    if (fd_ < 0 && err != EEXIST) break;
  }
  check(fd_ >= 0, "write '{}': cannot create temporary file '{}': {}", path_, temp_path_, errno_message(err));
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t nbytes) {
  check(fd_ >= 0, "write '{}': the file was already committed or discarded", path_);
  if (write_hook) write_hook(written_, static_cast<int64_t>(nbytes));
  const char* p = static_cast<const char*>(data);
  size_t left = nbytes;
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      throw Error(fmt::format("write '{}': writing temporary file '{}' failed after {} bytes: {}", path_, temp_path_,
                              written_, errno_message(err)));
    }
    p += n;
    left -= static_cast<size_t>(n);
    written_ += n;
  }
}

void AtomicFile::commit() {
  check(fd_ >= 0, "write '{}': the file was already committed or discarded", path_);
  if (::fsync(fd_) != 0) {
    const int err = errno;
    discard();
    throw Error(fmt::format("write '{}': fsync of temporary file failed: {}", path_, errno_message(err)));
  }
  const int rc = ::close(fd_);
  const int close_err = errno;
  fd_ = -1;
  if (rc != 0) {
    discard();
    throw Error(fmt::format("write '{}': closing temporary file failed: {}", path_, errno_message(close_err)));
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw Error(fmt::format("write '{}': cannot rename temporary file over it: {}", path_, errno_message(err)));
  }
  committed_ = true;
  sync_directory(path_);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  AtomicFile out(path);
  out.write(contents);
  out.commit();
}

std::vector<RemovedFile> remove_orphaned_temp_files(const std::string& dir) {
  static const std::regex temp_name(R"(\..+\.tmp-(\d+)-\d+)");  // AtomicFile's names (see the constructor)
  std::vector<RemovedFile> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, temp_name) || !entry.is_regular_file(ec)) continue;
    const long pid = std::stol(m[1].str().substr(0, 9));
    const bool alive = pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
    if (alive) continue;
    uintmax_t bytes = entry.file_size(ec);
    if (ec) bytes = 0;
    if (std::filesystem::remove(entry.path(), ec)) removed.push_back({name, bytes});
  }
  return removed;
}

namespace testing {

ScopedWriteHook::ScopedWriteHook(Hook hook) : previous_(std::exchange(write_hook, std::move(hook))) {}
ScopedWriteHook::~ScopedWriteHook() { write_hook = std::move(previous_); }

}  // namespace testing
}  // namespace qkv
