// allocator.cpp — the size-class cache of large buffers described in allocator.h.
#include "tensor/allocator.h"

#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace qkv::allocator {
namespace {

size_t default_limit() {
  const char* env = std::getenv("QKV_CACHE_LIMIT_MB");
  if (env != nullptr && *env != '\0') {
    size_t mb = 0;
    const char* end = env + std::strlen(env);
    const auto [ptr, ec] = std::from_chars(env, end, mb);
    if (ec == std::errc() && ptr == end) return mb << 20;
  }
  return size_t{2} << 30;
}

class Cache {
 public:
  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) {
      ++stats_.misses;
      return nullptr;
    }
    void* p = it->second.back();
    it->second.pop_back();
    stats_.cached_bytes -= bytes;
    ++stats_.hits;
    return p;
  }

  // Keeps p if the cache has room; returns false (the caller frees p) otherwise.
  bool keep(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stats_.cached_bytes + bytes > limit_) return false;
    free_[bytes].push_back(p);
    stats_.cached_bytes += bytes;
    return true;
  }

  Stats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    Stats s = stats_;
    s.limit_bytes = limit_;
    return s;
  }

  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    limit_ = bytes;
    for (auto& [size, list] : free_) {
      while (stats_.cached_bytes > limit_ && !list.empty()) {
        std::free(list.back());
        list.pop_back();
        stats_.cached_bytes -= size;
      }
    }
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, list] : free_) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    stats_.cached_bytes = 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class → free buffers
  Stats stats_;
  size_t limit_ = default_limit();
};

// Never destroyed: tensors in static objects may give their buffers back during exit, after
// any static cache would be gone. (The buffers it holds stay reachable, so leak checkers are
// quiet; the system reclaims them at exit.)
Cache& cache() {
  static Cache* instance = new Cache;
  return *instance;
}

}  // namespace

size_t rounded_size(size_t nbytes) {
  if (nbytes < kCachedMinBytes) return (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  // 4 classes per power of two: steps of a quarter of the power of two below nbytes.
  const size_t step = std::bit_floor(nbytes) / 4;
  return (nbytes + step - 1) / step * step;
}

void* allocate(size_t nbytes) {
  const size_t bytes = rounded_size(nbytes == 0 ? 1 : nbytes);
  if (bytes >= kCachedMinBytes) {
    if (void* p = cache().take(bytes)) return p;
  }
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) {
    cache().clear();  // memory held in the cache may be what is missing
    p = std::aligned_alloc(kAlignment, bytes);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

void release(void* p, size_t nbytes) {
  if (p == nullptr) return;
  const size_t bytes = rounded_size(nbytes == 0 ? 1 : nbytes);
  if (bytes >= kCachedMinBytes && cache().keep(p, bytes)) return;
  std::free(p);
}

Stats stats() { return cache().stats(); }
size_t cache_limit() { return cache().stats().limit_bytes; }
void set_cache_limit(size_t bytes) { cache().set_limit(bytes); }
void empty_cache() { cache().clear(); }

}  // namespace qkv::allocator
