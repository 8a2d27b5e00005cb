// storage.cpp — Storage's buffer comes from, and goes back to, the allocator (allocator.h).
#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace qkv {

void Storage::Free::operator()(std::byte* p) const { allocator::release(p, nbytes); }

Storage::Storage(size_t nbytes)
    : data_(static_cast<std::byte*>(allocator::allocate(nbytes)), Free{nbytes}), nbytes_(nbytes) {}

}  // namespace qkv
