// storage.h — Storage: one 64-byte-aligned buffer that tensors view, plus a version counter.
// The buffer comes from tensor/allocator.h, which recycles large buffers.
//
// Tensors share a Storage through std::shared_ptr; views (transpose, slice, ...) share it too.
// Every in-place write bumps `version`, so autograd can detect that a tensor it saved for
// backward was modified after the fact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace qkv {

class Storage {
 public:
  // Allocates `nbytes` uninitialised bytes (factories fill them).
  explicit Storage(size_t nbytes);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() const { return data_.get(); }
  size_t nbytes() const { return nbytes_; }

  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  struct Free {
    size_t nbytes;
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte[], Free> data_;
  size_t nbytes_ = 0;
  uint64_t version_ = 0;
};

}  // namespace qkv
