// gradient_buckets.h — GradientBuckets: sums every parameter's gradient over all ranks, in
// buckets that start travelling while backward is still running.
//
//   GradientBuckets buckets(optimizer.parameters(), distributed(), 1 << 20);
//   {
//     const LeafDoneHook hook = buckets.watch_backward();   // a bucket starts once it is full
//     loss.backward();
//   }
//   buckets.finish();   // starts the rest, waits, writes each sum back into its .grad
//
// Buckets hold whole parameters of one dtype, about `bucket_bytes` each, in reverse parameter
// order: backward finishes the last layers first, so the first bucket fills first. They start
// strictly in bucket order, so every rank calls MPI in the same order even where its backward
// finishes parameters in another one (MPI requires the same order of collectives everywhere).
// A bucket_bytes of 0 makes one bucket, summed after backward: the baseline without overlap.
//
// A parameter that got no gradient on this rank (a rank whose share of a batch is empty, or an
// unused parameter) adds zeros; after finish() it has a gradient if any rank produced one, and
// none (as in one process) if no rank did.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "autograd/engine.h"
#include "tensor/tensor.h"
#include "train/distributed.h"

namespace qkv::train {

class GradientBuckets {
 public:
  GradientBuckets(std::vector<Tensor> params, Distributed& distributed, int64_t bucket_bytes);

  // While the returned hook lives, backward copies each finished gradient into its bucket and
  // starts the buckets that are full. Clears the buckets of the previous step.
  [[nodiscard]] LeafDoneHook watch_backward();
  // Starts the buckets backward left, waits for all, and writes the sums into the gradients.
  void finish();

  // The parameters (indices into `params`) of each bucket, in the order they are summed.
  std::vector<std::vector<size_t>> buckets() const;

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> starts;  // each parameter's first element in `sum`
    Dtype dtype = Dtype::float32;
    Tensor sum;          // (numel of all its parameters), this rank's then the summed gradients
    size_t waiting = 0;  // parameters backward has not finished yet in this step
  };
  void on_leaf_done(size_t param);
  void copy_in(Bucket& bucket, size_t slot);
  void start_full_buckets();

  std::vector<Tensor> params_;
  Distributed& distributed_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_, slot_of_;  // per parameter
  std::unordered_map<const AutogradMeta*, size_t> param_of_;
  std::vector<double> had_grad_;  // per parameter: 1 if this rank produced a gradient
  size_t started_ = 0;            // buckets started so far in this step
};

}  // namespace qkv::train
