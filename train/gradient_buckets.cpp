// gradient_buckets.cpp — bucketed, overlapped gradient sums (see gradient_buckets.h).
#include "train/gradient_buckets.h"

#include <cstring>

#include "autograd/node.h"
#include "tensor/error.h"
#include "tensor/factories.h"

namespace qkv::train {
namespace {

std::byte* bytes(const Tensor& t) {
  return t.storage()->data() + t.offset() * static_cast<int64_t>(itemsize(t.dtype()));
}

}  // namespace

GradientBuckets::GradientBuckets(std::vector<Tensor> params, Distributed& distributed, int64_t bucket_bytes)
    : params_(std::move(params)),
      distributed_(distributed),
      bucket_of_(params_.size()),
      slot_of_(params_.size()),
      had_grad_(params_.size()) {
  check(bucket_bytes >= 0, "GradientBuckets: bucket_bytes must be >= 0 (0: one bucket), got {}", bucket_bytes);
  std::vector<int64_t> numel;                  // of each bucket, allocated once the parameters are placed
  for (size_t k = params_.size(); k-- > 0;) {  // reverse order: the order backward finishes them
    const Tensor& p = params_[k];
    check(p.is_contiguous() && p.autograd_meta() != nullptr,
          "GradientBuckets: parameter {} must be a contiguous leaf that requires grad", k);
    const int64_t bytes_so_far =
        buckets_.empty() ? 0 : numel.back() * static_cast<int64_t>(itemsize(buckets_.back().dtype));
    const bool fits =
        !buckets_.empty() && buckets_.back().dtype == p.dtype() && (bucket_bytes == 0 || bytes_so_far < bucket_bytes);
    if (!fits) {
      buckets_.push_back(Bucket{.params = {}, .starts = {}, .dtype = p.dtype(), .sum = {}});
      numel.push_back(0);
    }
    Bucket& b = buckets_.back();
    bucket_of_[k] = buckets_.size() - 1;
    slot_of_[k] = b.params.size();
    b.params.push_back(k);
    b.starts.push_back(numel.back());
    numel.back() += p.numel();
    param_of_[p.autograd_meta().get()] = k;
  }
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i].sum = zeros(Shape{numel[i]}, buckets_[i].dtype);
}

LeafDoneHook GradientBuckets::watch_backward() {
  for (Bucket& b : buckets_) b.waiting = b.params.size();
  std::fill(had_grad_.begin(), had_grad_.end(), 0.0);
  started_ = 0;
  return LeafDoneHook([this](const AutogradMeta& leaf) {
    if (const auto it = param_of_.find(&leaf); it != param_of_.end()) on_leaf_done(it->second);
  });
}

void GradientBuckets::on_leaf_done(size_t param) {
  Bucket& b = buckets_[bucket_of_[param]];
  copy_in(b, slot_of_[param]);
  --b.waiting;
  start_full_buckets();
  distributed_.progress();  // MPI moves the started buckets only while we call into it
}

// This rank's gradient of the bucket's parameter `slot` (zeros if it has none) into `sum`.
void GradientBuckets::copy_in(Bucket& b, size_t slot) {
  const size_t k = b.params[slot];
  const Tensor grad = params_[k].grad();
  const size_t size = static_cast<size_t>(params_[k].numel()) * itemsize(b.dtype);
  std::byte* to = bytes(b.sum) + b.starts[slot] * static_cast<int64_t>(itemsize(b.dtype));
  if (grad.defined()) {
    check(grad.shape() == params_[k].shape() && grad.dtype() == b.dtype,
          "GradientBuckets: parameter {}'s gradient is {} {}, the parameter {} {}", k, grad.dtype(), grad.shape(),
          b.dtype, params_[k].shape());
    std::memcpy(to, bytes(grad.is_contiguous() ? grad : grad.clone()), size);
    had_grad_[k] = 1;
  } else {
    std::memset(to, 0, size);
  }
}

void GradientBuckets::start_full_buckets() {
  while (started_ < buckets_.size() && buckets_[started_].waiting == 0) {
    Bucket& b = buckets_[started_++];
    distributed_.start_sum(bytes(b.sum), b.sum.numel(), b.dtype);
  }
}

void GradientBuckets::finish() {
  for (Bucket& b : buckets_) {  // not started: backward never reached some of its parameters (or never ran)
    if (b.waiting == 0) continue;
    for (size_t slot = 0; slot < b.params.size(); ++slot) copy_in(b, slot);  // gradients are final now
    b.waiting = 0;
  }
  start_full_buckets();
  distributed_.sum(had_grad_);  // after every bucket started: the same order of collectives on all ranks
  distributed_.wait_all();
  for (const Bucket& b : buckets_) {
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      const size_t k = b.params[slot];
      if (had_grad_[k] == 0) continue;  // no rank produced one
      AutogradMeta& meta = *params_[k].autograd_meta();
      if (!meta.grad.defined() || !meta.grad.is_contiguous()) meta.grad = zeros(params_[k].shape(), b.dtype);
      std::memcpy(bytes(meta.grad), bytes(b.sum) + b.starts[slot] * static_cast<int64_t>(itemsize(b.dtype)),
                  static_cast<size_t>(params_[k].numel()) * itemsize(b.dtype));
    }
  }
}

std::vector<std::vector<size_t>> GradientBuckets::buckets() const {
  std::vector<std::vector<size_t>> out;
  for (const Bucket& b : buckets_) out.push_back(b.params);
  return out;
}

}  // namespace qkv::train
