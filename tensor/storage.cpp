// storage.cpp — aligned allocation for Storage.
#include "tensor/storage.h"

#include <cstdlib>
#include <new>

namespace qkv {

void Storage::AlignedFree::operator()(std::byte* p) const { std::free(p); }

Storage::Storage(size_t nbytes) : nbytes_(nbytes) {
  constexpr size_t kAlign = 64;
  const size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<std::byte*>(p));
}

}  // namespace qkv
