#!/usr/bin/python3
"""torch_attention_bench.py — forward + backward of torch.nn.MultiheadAttention(256, 8,
batch_first=True) with a causal attn_mask (need_weights=False), batch 8, float32, at one
sequence length T: the PyTorch side of scripts/bench_attention.sh (bench/attention_bench.cpp is
qkv's).

Run with Debian's /usr/bin/python3 (the one PyTorch is installed for), one length and one thread
setting per process, so peak memory is per run and OMP_WAIT_POLICY / OPENBLAS_NUM_THREADS take
effect (scripts/bench_attention.sh sets them):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_attention_bench.py T threads=1 [repeats]
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_attention_bench.py T default [repeats]
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_attention_bench.py T threads=2 [repeats]
Prints one line:
  RESULT torch <T> <median wall ms> <median cpu ms> <peak RSS MB> <baseline RSS MB> <setting>
Peak RSS is resource.getrusage(RUSAGE_SELF).ru_maxrss; the baseline is taken right after the
imports (the script reports the difference, as for qkv).
"""
import resource
import statistics
import sys
import time


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main():
    T = int(sys.argv[1])
    setting = sys.argv[2] if len(sys.argv) > 2 else "default"
    default_repeats = 2 if T >= 4096 else 4 if T >= 1024 else 15 if T >= 256 else 40
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else default_repeats

    import torch

    baseline = peak_rss_mb()
    if setting.startswith("threads="):
        torch.set_num_threads(int(setting.split("=")[1]))
    torch.manual_seed(0)
    E, H, B = 256, 8, 8
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True)
    x = torch.randn(B, T, E, requires_grad=True)
    blocked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = may NOT attend

    def step():
        out, _ = mha(x, x, x, attn_mask=blocked, need_weights=False)
        out.sum().backward()

    step()  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        mha.zero_grad(set_to_none=True)
        x.grad = None
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        walls.append((time.perf_counter() - w0) * 1e3)
        cpus.append((time.process_time() - c0) * 1e3)
    print(f"RESULT torch {T} {statistics.median(walls):.3f} {statistics.median(cpus):.3f} "
          f"{peak_rss_mb():.1f} {baseline:.1f} {setting}(threads={torch.get_num_threads()})")


if __name__ == "__main__":
    main()
