// rank_agreement.cpp — the decisions every rank must share (see rank_agreement.h).
#include "train/rank_agreement.h"

namespace qkv::train {

bool agree_on_stop(Distributed& distributed, bool interrupted, TrainingState& state) {
  if (distributed.size() == 1) return interrupted;
  double votes[2] = {interrupted ? 1.0 : 0.0, distributed.is_root() ? state.train_seconds : 0.0};
  distributed.sum(votes);
  state.train_seconds = votes[1];
  return votes[0] > 0;
}

void share_root_state(Distributed& distributed, TrainingState& state) {
  if (distributed.size() == 1) return;
  double s[4] = {state.best_bleu, static_cast<double>(state.best_epoch),
                 static_cast<double>(state.epochs_without_improvement), state.train_seconds};
  distributed.broadcast_from_root(s);
  state.best_bleu = s[0];
  state.best_epoch = static_cast<int64_t>(s[1]);
  state.epochs_without_improvement = static_cast<int64_t>(s[2]);
  state.train_seconds = s[3];
}

}  // namespace qkv::train
