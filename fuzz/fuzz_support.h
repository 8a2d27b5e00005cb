// fuzz_support.h — what the fuzz targets share: a file whose bytes live in memory (the readers
// under test take paths), the rule for which exceptions are expected, and a failed property.
//
//   MemoryFile file;                       // one per process, reused for every input
//   file.set(data, size);
//   expect_errors([&] { load_safetensors(file.path()); });
//
// A parser of outside bytes may refuse its input only with qkv::Error (whose message names the
// file or op and the values). Anything else that escapes — std::out_of_range, std::bad_alloc,
// a JSON library exception — is a bug: it is not caught here, so libFuzzer reports it as a crash.
#pragma once

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "tensor/error.h"

namespace qkv::fuzz {

// A memfd: no disk, no directory, and a real path (/proc/self/fd/N) that open() and ifstream
// accept, so the readers run exactly as they do on files.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("qkv-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) fail("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  void set(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0) fail("ftruncate failed");
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) fail("pwrite failed");
      done += static_cast<size_t>(n);
    }
  }
  const std::string& path() const { return path_; }

  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "fuzz: MemoryFile: %s\n", what);
    std::abort();
  }

 private:
  int fd_;
  std::string path_;
};

// A directory of this process's own for files a target writes (in /dev/shm when there is one,
// so fsync costs nothing), removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm/qkv-fuzz-XXXXXX" : "/tmp/qkv-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) MemoryFile::fail("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs f; a qkv::Error is the expected way to refuse bad input. Returns whether f succeeded.
// QKV_FUZZ_VERBOSE=1 prints each refusal (to see why a target's inputs are refused).
template <class F>
bool expect_errors(F&& f) {
  try {
    f();
    return true;
  } catch (const Error& e) {
    static const bool verbose = std::getenv("QKV_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "fuzz: refused: %s\n", e.what());
    return false;
  }
}

// A property of an accepted input that does not hold: print it and abort (libFuzzer saves the
// input as a crash).
[[noreturn]] inline void property_failed(std::string_view what) {
  std::fprintf(stderr, "fuzz: property failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace qkv::fuzz
