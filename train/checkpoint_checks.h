// checkpoint_checks.h — what must hold between a training checkpoint's metadata and its tensors,
// checked when it is loaded (load_checkpoint calls check_checkpoint_invariants), so that a file
// edited by hand, written by a buggy tool or damaged is refused with what disagrees, rather
// than translating with the wrong vocabulary or failing mid-decode.
//
// The invariants, each an error naming the metadata key or tensor and both values:
//   - source.vocab / target.vocab sizes equal the model config's source_vocab / target_vocab;
//   - model/source_embedding.weight is (source_vocab, width), model/target_embedding.weight (when
//     not shared) and model/output_projection.weight (when not tied) are (target_vocab, width),
//     model/output_projection.bias is (target_vocab); width is d_model (Transformer) or
//     embedding_dim (RNN);
//   - every model/ tensor has the config's dtype;
//   - the whitespace tokenizer's vocabulary holds no token with whitespace (it could never occur);
//   - the state counters are in range: epoch, batch_in_epoch, step, target_tokens,
//     epochs_without_improvement >= 0; train_seconds finite and >= 0; best_epoch in -1..epoch;
//     best_bleu -1 (none yet) or in [0, 100];
//   - each optim/param.<i>.step is at most state.step (the optimizer never steps more often than
//     the run).
// The remaining tensor shapes (every layer's) are checked against the model built from the
// config by restore_model, which names the tensor and both shapes.
//
// require_resumable: the checkpoint can be continued by --resume (it has optimizer state);
// otherwise an error that says what the file is and which file to resume from.
#pragma once

#include "train/checkpoint.h"

namespace qkv::train {

void check_checkpoint_invariants(const LoadedCheckpoint& checkpoint);
void require_resumable(const LoadedCheckpoint& checkpoint);

}  // namespace qkv::train
