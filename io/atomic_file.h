// atomic_file.h — AtomicFile: write a file so that readers see either the old contents or the
// complete new ones, never a mixture, even if the process or the machine dies part-way.
//
//   AtomicFile out("model.safetensors");   // creates a temporary file beside the target
//   out.write(header.data(), header.size());
//   out.write(weights, nbytes);
//   out.commit();                          // fsync, rename over the target, fsync the directory
//
// If commit() is never reached (an exception, an early return), the destructor deletes the
// temporary file and the target is untouched. A hard crash can leave a temporary file
// (".<name>.tmp-<pid>-<n>") beside the target, but never a damaged target. What this does not
// do: lock against other writers (the last rename wins) or preserve the old file's owner/mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qkv {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes to the temporary file; throws qkv::Error naming the target on failure.
  void write(const void* data, size_t nbytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Makes the new contents durable and visible under the target path. After a failed commit
  // the temporary file is gone and the target is as it was.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  void discard() noexcept;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  int64_t written_ = 0;
  bool committed_ = false;
};

// Writes `contents` to `path` atomically (an AtomicFile in one call).
void write_file_atomically(const std::string& path, std::string_view contents);

// The temporary files that AtomicFiles of processes that no longer run left in `dir` (a kill -9
// or a power cut part-way through a save): files named ".<name>.tmp-<pid>-<n>" whose <pid> is no
// live process. Removes them and returns what it removed; files of live processes (this one
// included) and every other file are left alone. A pid reused by an unrelated process keeps its
// file until that process ends: the safe side.
struct RemovedFile {
  std::string name;  // relative to dir
  uintmax_t bytes = 0;
};
std::vector<RemovedFile> remove_orphaned_temp_files(const std::string& dir);

namespace testing {

// Test hook: while alive, every AtomicFile::write on this thread first calls
// `hook(bytes_already_written, bytes_about_to_be_written)`; the hook may throw (a failing
// disk) or end the process (a crash part-way through a save).
class ScopedWriteHook {
 public:
  using Hook = std::function<void(int64_t written, int64_t nbytes)>;
  explicit ScopedWriteHook(Hook hook);
  ~ScopedWriteHook();
  ScopedWriteHook(const ScopedWriteHook&) = delete;
  ScopedWriteHook& operator=(const ScopedWriteHook&) = delete;

 private:
  Hook previous_;
};

}  // namespace testing
}  // namespace qkv
