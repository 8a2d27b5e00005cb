// chunked_array_test.cpp — ChunkedArray (data/chunked_array.h) keeps every element across chunk
// boundaries and counts the bytes of what it holds.
#include <catch2/catch.hpp>

#include "data/chunked_array.h"

using qkv::data::ChunkedArray;

TEST_CASE("ChunkedArray keeps every element across chunks", "[data][chunked_array]") {
  ChunkedArray<uint32_t> a;
  CHECK(a.empty());
  const uint64_t n = (uint64_t{1} << 18) * 2 + 5;  // two full chunks and a bit of a third
  for (uint64_t i = 0; i < n; ++i) a.push_back(static_cast<uint32_t>(i * 2654435761u));
  REQUIRE(a.size() == n);
  bool all_equal = true;
  for (uint64_t i = 0; i < n; ++i) all_equal = all_equal && a[i] == static_cast<uint32_t>(i * 2654435761u);
  CHECK(all_equal);
  CHECK(a.back() == static_cast<uint32_t>((n - 1) * 2654435761u));
  CHECK(a.bytes() == n * 4);
}
