# torch_train_step.py — PyTorch twin of bench/train_step_bench.cpp: one full training step
# (forward, label-smoothed cross-entropy, backward, Adam; no clipping) of the same seq2seq
# Transformer (bench/torch_seq2seq.py: post-norm, sinusoidal positions, embeddings · sqrt(D),
# output projection tied to the target embedding, dropout 0.1) on random full-length batches,
# at the sizes (tiny, small, base) and qkv train's (recipe, recipe8k). Prints the
# parameter count (and fails if it differs from the closed form qkv's model also has), the
# median wall and CPU ms per step, target tokens per second and the process's peak RSS
# (torch_train_steps.py). RESULT lines are for scripts/bench_train.sh.
#
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train_step.py small [threads] [steps]
#
# threads: 0 (default) keeps torch's default thread count; N calls torch.set_num_threads(N).
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_seq2seq import Seq2Seq, closed_form_parameters, parameter_count  # noqa: E402
from torch_train_steps import parse_arguments, time_training_steps  # noqa: E402

SIZES = {
    #        d    heads enc dec ffn   batch len vocab
    "tiny": (64, 4, 2, 2, 256, 32, 16, 1000),
    "small": (256, 8, 3, 3, 1024, 64, 24, 8000),
    "base": (512, 8, 6, 6, 2048, 16, 32, 8000),
    "recipe": (128, 4, 4, 4, 256, 128, 16, 9435),
    "recipe8k": (128, 4, 4, 4, 256, 512, 16, 9435),
}


def main():
    size, steps, precision = parse_arguments(
        SIZES, "usage: torch_train_step.py [tiny|small|base|recipe|recipe8k] [threads] [steps >= 1]")
    d, heads, enc, dec, ffn, batch, length, vocab = SIZES[size]
    torch.manual_seed(0)
    model = Seq2Seq(vocab, vocab, d, heads, enc, dec, ffn, dropout=0.1)
    params = parameter_count(model)
    expected = closed_form_parameters(vocab, vocab, d, enc, dec, ffn)
    if params != expected:
        sys.exit(f"torch_train_step: the model has {params} parameters, the closed form says {expected}")
    time_training_steps(model, f"torch {size} {precision}", batch, length, vocab, steps, precision)


if __name__ == "__main__":
    main()
