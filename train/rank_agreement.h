// rank_agreement.h — what the ranks of a data-parallel run must agree on besides the weights.
//
// Every rank runs the same training loop (training_loop.cpp), so every decision it takes must come out
// the same on all of them, or one rank stops while another waits in an all-reduce forever:
//   * after each step: whether to stop for Ctrl-C (mpirun passes the signal on to every rank,
//     but they may see it at different steps) and the clock for --max-minutes (rank 0's);
//   * after rank 0 validated and saved: the best BLEU and the early-stopping count, which only
//     rank 0 computed.
// With one process both are the process's own values, untouched.
#pragma once

#include "train/checkpoint.h"
#include "train/distributed.h"

namespace qkv::train {

// True if any rank saw Ctrl-C (`interrupted` is this rank's flag); sets every rank's
// state.train_seconds to rank 0's.
bool agree_on_stop(Distributed& distributed, bool interrupted, TrainingState& state);

// Rank 0's best BLEU, best epoch, epochs without improvement and clock to every rank. The
// others wait for it asleep, leaving the cores to rank 0's validation.
void share_root_state(Distributed& distributed, TrainingState& state);

}  // namespace qkv::train
