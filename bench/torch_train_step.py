# torch_train_step.py — PyTorch twin of bench/train_step_bench.cpp: one full training step
# (forward, label-smoothed cross-entropy, backward, Adam; no clipping) of the same seq2seq
# Transformer (bench/torch_seq2seq.py: post-norm, sinusoidal positions, embeddings · sqrt(D),
# output projection tied to the target embedding, dropout 0.1) on random full-length batches,
# at the sizes (tiny, small, base). Prints the parameter count (and fails if it differs
# from the closed form qkv's model also has), the median wall and CPU ms per step, target
# tokens per second and the process's peak RSS. RESULT lines are for scripts/bench_train.sh.
#
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train_step.py small [threads] [steps]
#
# threads: 0 (default) keeps torch's default thread count; N calls torch.set_num_threads(N).
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_seq2seq import Seq2Seq, closed_form_parameters, parameter_count  # noqa: E402

SIZES = {
    #        d    heads enc dec ffn   batch len vocab
    "tiny": (64, 4, 2, 2, 256, 32, 16, 1000),
    "small": (256, 8, 3, 3, 1024, 64, 24, 8000),
    "base": (512, 8, 6, 6, 2048, 16, 32, 8000),
}


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "tiny"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    if size not in SIZES or steps < 1:
        sys.exit("usage: torch_train_step.py [tiny|small|base] [threads] [steps >= 1]")
    if threads > 0:
        torch.set_num_threads(threads)
    d, heads, enc, dec, ffn, batch, length, vocab = SIZES[size]
    torch.manual_seed(0)
    model = Seq2Seq(vocab, vocab, d, heads, enc, dec, ffn, dropout=0.1)
    params = parameter_count(model)
    expected = closed_form_parameters(vocab, vocab, d, enc, dec, ffn)
    if params != expected:
        sys.exit(f"torch_train_step: the model has {params} parameters, the closed form says {expected}")
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)

    # Ids from 4 up: no pad, bos or eos inside, so every position is a real token.
    g = torch.Generator().manual_seed(1)
    src = torch.randint(4, vocab, (batch, length), generator=g)          # (B, S)
    tgt = torch.randint(4, vocab, (batch, length + 1), generator=g)      # (B, T+1)
    tgt_in, tgt_out = tgt[:, :-1].contiguous(), tgt[:, 1:].contiguous()  # (B, T)
    src_pad = src == 0                                                   # (B, S), all false
    model.train()
    wall, cpu = [], []
    for i in range(steps + 2):  # two untimed warm-up steps
        start, cpu_start = time.perf_counter(), time.process_time()
        logits = model(src, src_pad, tgt_in)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, vocab), tgt_out.reshape(-1), ignore_index=0, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_value = loss.item()
        if i >= 2:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
    ms, cpu_ms = median(wall) * 1000, median(cpu) * 1000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch {size}: {params} parameters, {ms:.1f} ms/step ({cpu_ms:.1f} ms CPU), "
          f"{batch * length / ms * 1000:.0f} target tokens/s, peak RSS {peak_mb:.0f} MB "
          f"(threads {torch.get_num_threads()}, loss {loss_value:.3f})")
    print(f"RESULT ms {ms:.3f}")
    print(f"RESULT cpu_ms {cpu_ms:.3f}")
    print(f"RESULT peak_mb {peak_mb:.1f}")
    print(f"RESULT params {params}")
    print(f"RESULT threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
