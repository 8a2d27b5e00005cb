// saved_tensor.h — a tensor kept for backward, with a check that nobody modified it in place.
//
// At save time we remember the storage's version counter; in-place writes (fill_, copy_,
// add_, ...) bump it. If the version differs when backward reads the tensor, the gradient
// would silently be wrong, so get() throws instead, naming the op.
// The saved copy carries no autograd metadata, so saving an op's own output creates no cycle.
#pragma once

#include <atomic>
#include "autograd/op_name.h"
#include "tensor/tensor.h"

namespace qkv {

class SavedTensor {
 public:
  SavedTensor(OpName op, const Tensor& t);
  SavedTensor(const SavedTensor& other);
  SavedTensor& operator=(const SavedTensor&) = delete;
  ~SavedTensor();

  // The saved tensor; throws if its storage was modified in place since it was saved.
  const Tensor& get() const;

  // Number of SavedTensor objects alive in the process (for the memory tests).
  static int64_t live_count() { return live_.load(); }

 private:
  OpName op_;
  Tensor tensor_;
  uint64_t version_;
  static inline std::atomic<int64_t> live_{0};
};

}  // namespace qkv
