# torch_train_steps.py — what the PyTorch training-step benchmarks (torch_train_step.py for the
# Transformer, torch_rnn_train_step.py for the RNN) share, as bench/seq2seq_train_step.h does for
# qkv's: a random full-length batch, the step (forward, label-smoothed cross-entropy, backward,
# Adam with lr 1e-4 and betas (0.9, 0.98); no clipping), in fp32 or under bf16 autocast, two
# untimed warm-up steps then `steps` timed ones, and the printed summary with its RESULT lines.
import resource
import sys
import time

import torch
import torch.nn.functional as F


def parse_arguments(sizes, usage):
    """argv: [size] [threads] [steps] [fp32|bf16] → (size, steps, precision); threads 0 keeps
    torch's default, N sets N; bf16 runs forward and loss under torch.autocast (bfloat16)."""
    size = sys.argv[1] if len(sys.argv) > 1 else "tiny"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    precision = sys.argv[4] if len(sys.argv) > 4 else "fp32"
    if size not in sizes or steps < 1 or precision not in ("fp32", "bf16"):
        sys.exit(usage + " [fp32|bf16]")
    if threads > 0:
        torch.set_num_threads(threads)
    return size, steps, precision


def median(values):
    return sorted(values)[len(values) // 2]


def time_training_steps(model, label, batch, length, vocab, steps, precision="fp32"):
    """Times training steps of model(src, src_padding, tgt_in) → logits (B, T, V); prints the results.
    precision bf16: PyTorch's mixed precision on CPU — forward and loss under
    torch.autocast("cpu", dtype=torch.bfloat16) (matrix products in bf16, weights and optimizer
    fp32), backward outside it, as its documentation recommends."""
    params = sum(p.numel() for p in model.parameters())
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
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(src, src_pad, tgt_in)  # (B, T, V)
            loss = F.cross_entropy(logits.reshape(-1, vocab), tgt_out.reshape(-1), ignore_index=0,
                                   label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_value = loss.item()
        if i >= 2:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
    ms, cpu_ms = median(wall) * 1000, median(cpu) * 1000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {params} parameters, {ms:.1f} ms/step ({cpu_ms:.1f} ms CPU), "
          f"{batch * length / ms * 1000:.0f} target tokens/s, peak RSS {peak_mb:.0f} MB "
          f"(threads {torch.get_num_threads()}, loss {loss_value:.3f})")
    print(f"RESULT ms {ms:.3f}")
    print(f"RESULT cpu_ms {cpu_ms:.3f}")
    print(f"RESULT peak_mb {peak_mb:.1f}")
    print(f"RESULT params {params}")
    print(f"RESULT threads {torch.get_num_threads()}")
