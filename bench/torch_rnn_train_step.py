# torch_rnn_train_step.py — PyTorch twin of bench/rnn_train_step_bench.cpp: one full training step
# (forward, label-smoothed cross-entropy, backward, Adam; no clipping) of the same recurrent
# encoder–decoder with attention (tests/models/torch_rnn_seq2seq.py, the RNN parity test's
# oracle: bidirectional GRU encoder on packed sequences, GRUCell decoder, additive attention,
# tanh readout, output tied to the target embedding, dropout 0.3) on random full-length batches,
# at the same sizes (tiny, recipe). Prints the parameter count, the median wall and CPU ms per
# step, target tokens per second and the process's peak RSS (torch_train_steps.py). RESULT
# lines are for scripts/bench_rnn_train.sh.
#
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_rnn_train_step.py recipe [threads] [steps]
#
# threads: 0 (default) keeps torch's default thread count; N calls torch.set_num_threads(N).
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "tests", "models"))  # the twin is a test oracle
from torch_rnn_seq2seq import RnnSeq2Seq  # noqa: E402
from torch_train_steps import parse_arguments, time_training_steps  # noqa: E402

SIZES = {
    #          E    He   Hd   batch len vocab
    "tiny": (32, 32, 64, 32, 16, 1000),
    "recipe": (256, 256, 512, 128, 16, 8000),
}


def main():
    size, steps, precision = parse_arguments(SIZES, "usage: torch_rnn_train_step.py [tiny|recipe] [threads] [steps >= 1]")
    emb, enc_hidden, dec_hidden, batch, length, vocab = SIZES[size]
    torch.manual_seed(0)
    model = RnnSeq2Seq(vocab, vocab, cell="gru", emb=emb, enc_hidden=enc_hidden, dec_hidden=dec_hidden,
                       attention="additive", dropout=0.3, tie_output=True)
    time_training_steps(model, f"torch rnn {size} {precision}", batch, length, vocab, steps, precision)


if __name__ == "__main__":
    main()
