// allocator_test.cpp — the large-buffer cache behind Storage: size classes, reuse, the limit.
#include <catch2/catch.hpp>

#include <cstdint>

#include "tensor/allocator.h"
#include "tensor/tensor.h"

using namespace qkv;

TEST_CASE("allocator: size classes waste at most a quarter and small sizes round to 64 bytes", "[allocator]") {
  CHECK(allocator::rounded_size(1) == 64);
  CHECK(allocator::rounded_size(100) == 128);
  CHECK(allocator::rounded_size(allocator::kCachedMinBytes) == allocator::kCachedMinBytes);
  CHECK(allocator::rounded_size(allocator::kCachedMinBytes + 1) == allocator::kCachedMinBytes * 5 / 4);
  CHECK(allocator::rounded_size(size_t{3} << 20) == size_t{3} << 20);  // 1.5 · 2^21
  for (size_t n = allocator::kCachedMinBytes; n < (size_t{1} << 30); n = n * 9 / 7 + 13) {
    const size_t r = allocator::rounded_size(n);
    REQUIRE(r >= n);
    REQUIRE(r <= n + n / 4);
    REQUIRE(r % allocator::kAlignment == 0);
    REQUIRE(allocator::rounded_size(r) == r);  // a class size is its own class
  }
}

TEST_CASE("allocator: a released large buffer is reused by the next request of its class", "[allocator]") {
  allocator::empty_cache();
  const size_t bytes = size_t{5} << 20;
  void* first = allocator::allocate(bytes);
  REQUIRE(reinterpret_cast<uintptr_t>(first) % allocator::kAlignment == 0);
  allocator::release(first, bytes);
  const allocator::Stats before = allocator::stats();
  CHECK(before.cached_bytes >= allocator::rounded_size(bytes));
  void* second = allocator::allocate(bytes - 1000);  // same size class
  CHECK(second == first);
  CHECK(allocator::stats().hits == before.hits + 1);
  allocator::release(second, bytes - 1000);
  allocator::empty_cache();
  CHECK(allocator::stats().cached_bytes == 0);
}

TEST_CASE("allocator: the cache never holds more than its limit", "[allocator]") {
  allocator::empty_cache();
  const size_t saved = allocator::cache_limit();
  const size_t bytes = size_t{1} << 20;
  allocator::set_cache_limit(3 * bytes);
  void* buffers[5];
  for (void*& p : buffers) p = allocator::allocate(bytes);
  for (void* p : buffers) allocator::release(p, bytes);
  CHECK(allocator::stats().cached_bytes == 3 * bytes);  // the other two were freed
  allocator::set_cache_limit(bytes);
  CHECK(allocator::stats().cached_bytes == bytes);
  allocator::set_cache_limit(saved);
  allocator::empty_cache();
}

TEST_CASE("allocator: tensors recycle their storage through the cache", "[allocator]") {
  allocator::empty_cache();
  const std::byte* address = nullptr;
  {
    const Tensor t = Tensor::empty({1024, 1024});  // 4 MiB
    address = t.storage()->data();
  }
  const Tensor u = Tensor::empty({1000, 1040});  // 4,160,000 bytes: the same class
  CHECK(u.storage()->data() == address);
  CHECK(u.storage()->nbytes() == 1000 * 1040 * 4);
}
