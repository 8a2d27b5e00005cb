// train_step.cpp — one training update (see train_step.h).
#include "train/train_step.h"

#include <cmath>

#include "data/vocab.h"
#include "nn/functional.h"
#include "optim/clip.h"

namespace qkv::train {

StepResult train_step(models::Seq2Seq& model, Optimizer& optimizer, const data::Batch& batch,
                      const StepOptions& options) {
  optimizer.set_lr(options.lr);
  const Tensor logits = model.forward(batch.source, batch.source_padding, batch.target_in);  // (B, T, V)
  const Tensor loss = cross_entropy(logits, batch.target_out,
                                    {.ignore_index = data::Vocab::kPad, .label_smoothing = options.label_smoothing});
  optimizer.zero_grad();
  loss.backward();
  const auto& params = optimizer.parameters();
  StepResult r{.source_tokens = batch.source_tokens, .target_tokens = batch.target_tokens};
  r.grad_norm = options.clip_norm > 0 ? clip_grad_norm_(params, options.clip_norm, /*error_if_nonfinite=*/false)
                                      : grad_norm(params);
  r.loss = loss.item();
  r.applied = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (r.applied) optimizer.step();  // a non-finite step would spoil every weight
  return r;
}

}  // namespace qkv::train
