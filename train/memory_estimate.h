// memory_estimate.h — how much memory a training run will need, checked before anything is
// allocated, so that a model or batch too big for the machine is refused with a number instead
// of dying in std::bad_alloc (or in the kernel's out-of-memory killer) part-way through.
//
//   check_fits_in_memory(options);   // options.model / options.rnn hold the vocabulary sizes
//
// The estimate is rough by design (within a few percent for the parameters, within a small
// factor for activations): parameters from the config's closed form, times four for the
// weights, their gradients and Adam's two moments, plus a bound on one step's activations
// (per layer a few (tokens, width) tensors and the attention weights (B, H, T, T) ≈ H · tokens ·
// T, and the output logits, tokens · V, kept for the backward pass). What it does not count:
// the corpus, the allocator's slack, other processes.
//
// Available memory is MemAvailable from /proc/meminfo, lowered to the cgroup's limit (a
// container) when there is one. QKV_MEMORY_AVAILABLE_BYTES overrides both: tests use it to
// simulate a small machine.
#pragma once

#include <cstdint>

#include "train/train_options.h"

namespace qkv::train {

struct MemoryEstimate {
  int64_t parameters = 0;       // the model's parameter count (closed form)
  double parameter_bytes = 0;   // weights + gradients + Adam's two moments
  double activation_bytes = 0;  // one training step's activations, a rough upper bound
  double total() const { return parameter_bytes + activation_bytes; }
};

// For the architecture options.arch, with the vocabulary sizes already in options.model / .rnn.
MemoryEstimate estimate_training_memory(const TrainOptions& options);

// Bytes this process may still allocate, or a negative number when it cannot be told.
double available_memory_bytes();

// Throws qkv::Error ("qkv train: this model and batch need ~X GiB ..., this machine has Y GiB
// available; ...") when the estimate exceeds the available memory.
void check_fits_in_memory(const TrainOptions& options);

}  // namespace qkv::train
