#!/usr/bin/python3
"""torch_mha_vs_qkv.py — torch.nn.MultiheadAttention(128, 4, batch_first=True) at the shape of
the "why does my attention lose?" programs: the PyTorch side of scripts/bench_mha_vs_torch.sh
(bench/mha_vs_torch_bench.cpp is qkv's). B sentences padded to T, float32, causal attn_mask and a
key_padding_mask (row b has b % 8 padding positions at the end, as on the qkv side).

  /usr/bin/python3 bench/torch_mha_vs_qkv.py [--batch B] [--length T] [--repeats N]

Prints one line per case ("train": forward + backward; "eval": forward under no_grad):
  RESULT torch <case> <median wall ms> <median cpu ms>
"""
import argparse
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--length", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=30)
    a = ap.parse_args()
    torch.manual_seed(0)
    B, T, E, H = a.batch, a.length, 128, 4
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    x = torch.randn(B, T, E, requires_grad=True)
    blocked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = may NOT attend
    is_pad = torch.zeros(B, T, dtype=torch.bool)  # True = padding
    for b in range(B):
        if b % 8:
            is_pad[b, T - b % 8:] = True

    def timed(name, step):
        step()  # warm-up
        walls, cpus = [], []
        for _ in range(a.repeats):
            mha.zero_grad(set_to_none=True)
            x.grad = None
            w0, c0 = time.perf_counter(), time.process_time()
            step()
            walls.append((time.perf_counter() - w0) * 1e3)
            cpus.append((time.process_time() - c0) * 1e3)
        print(f"RESULT torch {name} {statistics.median(walls):.3f} {statistics.median(cpus):.3f}")

    def train():
        out, _ = mha(x, x, x, attn_mask=blocked, key_padding_mask=is_pad, need_weights=False)
        out.sum().backward()

    def evaluate():
        with torch.no_grad():
            mha(x, x, x, attn_mask=blocked, key_padding_mask=is_pad, need_weights=False)

    timed("train", train)
    timed("eval", evaluate)


if __name__ == "__main__":
    main()
