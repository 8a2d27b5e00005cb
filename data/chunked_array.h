// chunked_array.h — ChunkedArray<T>: an append-only array held in chunks of 2^18 elements.
//
//   ChunkedArray<uint16_t> ids;
//   ids.push_back(7);
//   ids[0];          // 7
//
// A std::vector grows by allocating twice its capacity and copying into it, so while a corpus
// is encoded its ids briefly take up to three times their size, and shrinking to fit copies
// them once more. Chunks are never moved: the ids of data/encoded_corpus.h cost their size plus
// at most one partly filled chunk (512 KiB of uint16, 2 MiB of uint64), whatever the corpus.
// Element i is in chunk i >> 18 at i & (2^18 - 1): one more load than a vector's [].
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace qkv::data {

template <typename T>
class ChunkedArray {
 public:
  void push_back(T value) {
    if ((size_ & kMask) == 0) chunks_.emplace_back(new T[kChunk]);  // uninitialised: written before read
    chunks_.back()[size_ & kMask] = value;
    ++size_;
  }
  T operator[](uint64_t i) const { return chunks_[i >> kShift][i & kMask]; }
  T back() const { return (*this)[size_ - 1]; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint64_t bytes() const { return size_ * sizeof(T); }  // of the elements held

 private:
  static constexpr int kShift = 18;
  static constexpr uint64_t kChunk = uint64_t{1} << kShift, kMask = kChunk - 1;
  std::vector<std::unique_ptr<T[]>> chunks_;
  uint64_t size_ = 0;
};

}  // namespace qkv::data
