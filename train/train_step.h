// train_step.h — one training update, the few lines the rest of the trainer is built around:
//
//   loss   = cross_entropy(model(source, target_in), target_out)    teacher forcing; label-smoothed,
//            mean per target token (model.loss: the output layer fused with the loss)
//   backward → clip the global gradient norm → optimizer step
//
// A step whose loss or gradient norm is not finite leaves the weights as they were (applied =
// false); how many of those to tolerate is the caller's decision. Schedules, logging, stop
// rules and checkpoints are not here: they are the training loop's, in training_loop.cpp and training_checkpoints.cpp.
//
// Data-parallel (several ranks, train/distributed.h), each rank runs the second train_step on
// its share of the global batch (train/shard.h):
//
//   loss_r = Σ over this rank's target tokens of the token loss / the WHOLE batch's target tokens
//   backward, while GradientBuckets sums the finished gradients over the ranks
//   → Σ_r ∇loss_r is the gradient of the whole batch's mean loss, the same on every rank
//   → the same clip and optimizer step on every rank; the loss reported is Σ_r loss_r
//
// so N ranks compute what one process computes on the whole batch, up to summation order.
#pragma once

#include <cstdint>

#include "data/batching.h"
#include "models/seq2seq.h"
#include "optim/optimizer.h"
#include "train/distributed.h"
#include "train/gradient_buckets.h"
#include "train/shard.h"

namespace qkv::train {

struct StepOptions {
  double lr = 0;  // this step's learning rate (the schedule's value)
  double label_smoothing = 0.1;
  double clip_norm = 1.0;  // 0: measure the gradient norm without clipping
};

struct StepResult {
  double loss = 0;            // the training loss of this batch, before the update
  double grad_norm = 0;       // global L2 norm of all gradients, before clipping
  bool applied = false;       // false: loss or norm not finite, the optimizer step was skipped
  int64_t source_tokens = 0;  // the batch's non-pad tokens, as counted by make_batch
  int64_t target_tokens = 0;
};

// Updates `model`'s parameters (those `optimizer` holds) on one batch.
StepResult train_step(models::Seq2Seq& model, Optimizer& optimizer, const data::Batch& batch,
                      const StepOptions& options);

// One data-parallel update on this rank's share (see the top of this file). `buckets` holds
// `optimizer`'s parameters. Every rank gets the same StepResult; tokens count the whole batch.
StepResult train_step(models::Seq2Seq& model, Optimizer& optimizer, const Shard& shard, GradientBuckets& buckets,
                      Distributed& distributed, const StepOptions& options);

}  // namespace qkv::train
