// train_step.cpp — one training update (see train_step.h).
#include "train/train_step.h"

#include <cmath>

#include "autograd/ops/elementwise.h"
#include "data/vocab.h"
#include "nn/functional.h"
#include "optim/clip.h"

namespace qkv::train {
namespace {

// Measures (and clips) the global gradient norm; steps unless the loss or the norm is not finite.
void clip_and_step(Optimizer& optimizer, const StepOptions& options, StepResult& r) {
  const auto& params = optimizer.parameters();
  r.grad_norm = options.clip_norm > 0 ? clip_grad_norm_(params, options.clip_norm, /*error_if_nonfinite=*/false)
                                      : grad_norm(params);
  r.applied = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (r.applied) optimizer.step();  // a non-finite step would spoil every weight
}

}  // namespace

StepResult train_step(models::Seq2Seq& model, Optimizer& optimizer, const data::Batch& batch,
                      const StepOptions& options) {
  optimizer.set_lr(options.lr);
  const Tensor loss = model.loss(batch.source, batch.source_padding, batch.target_in, batch.target_out,
                                 {.ignore_index = data::Vocab::kPad, .label_smoothing = options.label_smoothing});
  optimizer.zero_grad();
  loss.backward();
  StepResult r{.loss = loss.item(), .source_tokens = batch.source_tokens, .target_tokens = batch.target_tokens};
  clip_and_step(optimizer, options, r);
  return r;
}

StepResult train_step(models::Seq2Seq& model, Optimizer& optimizer, const Shard& shard, GradientBuckets& buckets,
                      Distributed& distributed, const StepOptions& options) {
  optimizer.set_lr(options.lr);
  optimizer.zero_grad();
  double loss_part[1] = {0};
  {
    const LeafDoneHook hook = buckets.watch_backward();
    if (shard.batch) {  // an empty share (fewer examples than ranks) adds zero gradients
      const data::Batch& batch = *shard.batch;
      const Tensor token_loss_sum = model.loss(
          batch.source, batch.source_padding, batch.target_in, batch.target_out,
          {.ignore_index = data::Vocab::kPad, .label_smoothing = options.label_smoothing, .reduction = Reduction::sum});
      const Tensor loss = token_loss_sum * (1.0 / static_cast<double>(shard.global_target_tokens));
      loss.backward();
      loss_part[0] = loss.item();
    }
  }
  buckets.finish();            // the gradients of the whole batch's mean loss, on every rank
  distributed.sum(loss_part);  // after every bucket started: the same order of collectives everywhere
  StepResult r{
      .loss = loss_part[0], .source_tokens = shard.global_source_tokens, .target_tokens = shard.global_target_tokens};
  clip_and_step(optimizer, options, r);
  return r;
}

}  // namespace qkv::train
