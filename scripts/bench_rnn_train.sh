#!/usr/bin/env bash
# bench_rnn_train.sh — training-step throughput of the RNN encoder-decoder with attention, qkv
# against its PyTorch twin, in one run on this machine (bench/rnn_train_step_bench.cpp and
# bench/torch_rnn_train_step.py: the same GRU-attention model — their parameter counts are
# compared —, random full-length batches; a step is forward, label-smoothed cross-entropy,
# backward, Adam):
#
#   tiny    E=32,  bidirectional GRU 32 per direction, GRU decoder 64,  batch 32,  length 16, vocab 1000
#   recipe  E=256, bidirectional GRU 256 per direction, GRU decoder 512, batch 128, length 16, vocab 8000
#           (qkv train --arch rnn's defaults: additive attention, dropout 0.3, tied output)
#
#   scripts/bench_rnn_train.sh               # 10 timed steps per run (medians), both sizes
#   scripts/bench_rnn_train.sh --quick       # smoke test: tiny only, 2 steps — not a measurement
#
# The same environment variables as scripts/bench_train.sh (SIZES, STEPS, TORCH_SETTINGS,
# BUILD_DIR), whose loop and table this runs: PyTorch under threads=1 (OPENBLAS on every core),
# its default threads with OMP_WAIT_POLICY=PASSIVE, and threads=<cores> with PASSIVE; its fastest
# setting is compared. speed = torch ms / qkv ms (> 1: qkv faster).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=rnn exec scripts/bench_train.sh "$@"
