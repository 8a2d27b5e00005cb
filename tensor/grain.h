// grain.h — how much work one parallel task gets, for every loop qkv splits across its threads
// (tensor/parallel.h), in one place so the trade-off is seen and tuned together.
//
// How they were chosen: handing a piece to a spinning worker costs a few microseconds, so a task
// should do at least about ten microseconds of work; each grain is the power of two near that for
// its loop's unit of work, then lowered while the tiny training step (scripts/bench_train.sh)
// kept getting faster (b9633fc took elementwise loops from 64K to 16K elements). A grain only
// decides how work is split, never a result: each loop here is independent per element or row.
// Sizes that do fix results — the blocks of a split sum (clip_grad_norm_, layer_norm's weight
// gradients) and dropout's per-chunk random streams — stay with their code, and are not grains.
#pragma once

#include <algorithm>
#include <cstdint>

namespace qkv::grain {

// Elementwise loops split from twice this many elements (16K floats, a (32, 16, 64) activation);
// layer_norm takes rows of about this many elements per task.
inline constexpr int64_t kElementwise = int64_t{1} << 13;

// A GEMM with fewer multiply-adds (m·n·k) than this is never split across threads.
inline constexpr int64_t kSplitGemm = int64_t{1} << 21;

// A batch of small matrix products: multiply-adds per task.
inline constexpr int64_t kBatchedMatmul = int64_t{1} << 16;

// linear's bias rows and bias-gradient column sums: elements per task.
inline constexpr int64_t kLinearBias = int64_t{1} << 14;

// cross_entropy, forward and backward: logits per task.
inline constexpr int64_t kCrossEntropy = int64_t{1} << 16;

// sparsemax and entmax15 (each row sorted): scores per task.
inline constexpr int64_t kSortedRows = int64_t{1} << 12;

// An optimizer's update of one parameter: elements per task.
inline constexpr int64_t kOptimizerUpdate = int64_t{1} << 15;

// The fused attention's backward (nn/attention/flash_attention_schedule.cpp): query rows per task
// of D = rowsum(dO ∘ O), and how many heads per thread make whole-head tasks balance the load
// (with fewer, heads are split into key and query blocks).
inline constexpr int64_t kAttentionDeltaRows = 4096;
inline constexpr int64_t kAttentionWholeHeadsPerThread = 4;

// Rows (or blocks) per task so that a task gets about `work` units, when each row has
// `row_work` of them; at least one.
inline constexpr int64_t rows_per_task(int64_t work, int64_t row_work) {
  return std::max<int64_t>(1, work / std::max<int64_t>(row_work, 1));
}

}  // namespace qkv::grain
