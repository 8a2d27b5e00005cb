// train_step.h — one training update, the few lines the rest of the trainer is built around:
//
//   logits = model(source, target_in)                       (B, T, V), teacher forcing
//   loss   = cross_entropy(logits, target_out)              label-smoothed, mean per target token
//   backward → clip the global gradient norm → optimizer step
//
// A step whose loss or gradient norm is not finite leaves the weights as they were (applied =
// false); how many of those to tolerate is the caller's decision. Schedules, logging, stop
// rules and checkpoints are not here: they are the training loop's, in trainer.cpp.
#pragma once

#include <cstdint>

#include "data/batching.h"
#include "models/seq2seq.h"
#include "optim/optimizer.h"

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

}  // namespace qkv::train
