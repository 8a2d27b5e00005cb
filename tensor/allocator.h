// allocator.h — where Storage gets its memory: a cache of large freed buffers.
//
// A training step allocates the same large buffers step after step (activations, gradients,
// logits). Returned to the system and asked for again, each one costs page faults and the
// kernel zeroing every page — about a tenth of a Transformer training step when measured. So
// buffers of at least kCachedMinBytes are not freed: they wait in a free list of their size
// class and the next request of that class reuses one. Small buffers go straight to malloc,
// which keeps its own fast per-thread caches.
//
// Size classes are 4 per power of two (2^k, 1.25·2^k, 1.5·2^k, 1.75·2^k), so a buffer is at
// most 25% larger than asked for. At most cache_limit() bytes wait in the lists (default 2 GiB,
// QKV_CACHE_LIMIT_MB overrides); a buffer that would exceed it is freed instead. Everything is
// 64-byte aligned. Thread-safe (one mutex, taken only for large buffers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace qkv::allocator {

constexpr size_t kCachedMinBytes = size_t{1} << 16;  // 64 KiB
constexpr size_t kAlignment = 64;

// At least `nbytes` uninitialised bytes, 64-byte aligned. Throws std::bad_alloc.
void* allocate(size_t nbytes);
// Gives back a buffer from allocate(nbytes) (the same nbytes).
void release(void* p, size_t nbytes);

// The number of bytes allocate(nbytes) actually reserves.
size_t rounded_size(size_t nbytes);

struct Stats {
  int64_t hits = 0;         // large requests served from the cache
  int64_t misses = 0;       // large requests that went to the system
  size_t cached_bytes = 0;  // bytes waiting in the free lists now
  size_t limit_bytes = 0;   // cache_limit()
};
Stats stats();
size_t cache_limit();
// Changes the limit (buffers already cached beyond it are freed).
void set_cache_limit(size_t bytes);
// Frees every cached buffer (memory in use is not affected).
void empty_cache();

}  // namespace qkv::allocator
