# torch_autograd_overhead.py — PyTorch eager-mode twin of bench/autograd_overhead.cpp: the same
# 177-op expression on the same shapes (float32, [4, 4] and [4]), timed the same way (median
# over samples of the time per op) for forward+backward, forward (recording the graph) and
# forward under torch.no_grad(). It times every pass with torch.set_num_threads(1), with the
# default thread count and with one thread per core (taking turns), and reports the fastest
# per pass, saying which it was. Time is the process's CPU time by default (robust when other jobs share the
# cores); pass "wall" for wall-clock time. Lines starting with RESULT are for
# scripts/bench_autograd.sh.
#
#   /usr/bin/python3 bench/torch_autograd_overhead.py [cpu|wall] [samples] [iterations per sample]
import os
import sys
import time

import torch

BLOCKS = 16


def expression(x, w, s, v):
    h = x
    for _ in range(BLOCKS):
        h = torch.matmul(h, w) + v
        h = torch.tanh(h) * s
        h = (h - torch.mean(h, 1, keepdim=True)) * 0.5
        h = torch.sigmoid(h)
        h = h + torch.sum(h, 0) * v
    return torch.sum(h)


def filled(shape, k):
    """Tensor number k, with the same fixed values as filled() in autograd_overhead.cpp."""
    n = 1
    for d in shape:
        n *= d
    return torch.tensor([((i * 5 + k * 3) % 11 - 5) / 10 for i in range(n)], dtype=torch.float32).reshape(shape)


def count_ops(output):
    """Nodes of the recorded graph, leaves' AccumulateGrad excluded (as qkv counts)."""
    seen, stack = set(), [output.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen or type(fn).__name__ == "AccumulateGrad":
            continue
        seen.add(fn)
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    return len(seen)


def median_us_per_op(clock, samples, iterations, ops, body, thread_counts):
    """For each thread count, the median over samples of the time per op of `iterations` runs
    of body. The thread counts take turns sample by sample, so a change in the machine's load
    affects them alike."""
    per_op = {threads: [] for threads in thread_counts}
    for threads in thread_counts:  # warm up
        torch.set_num_threads(threads)
        for _ in range(iterations):
            body()
    for _ in range(samples):
        for threads in thread_counts:
            torch.set_num_threads(threads)
            start = clock()
            for _ in range(iterations):
                body()
            per_op[threads].append((clock() - start) * 1e6 / (iterations * ops))
    return {threads: sorted(times)[len(times) // 2] for threads, times in per_op.items()}


def main():
    wall = len(sys.argv) > 1 and sys.argv[1] == "wall"
    clock = time.perf_counter if wall else time.process_time
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 31
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 40

    x = filled((4, 4), 0)
    w = filled((4, 4), 1).requires_grad_()
    s = filled((4, 4), 2).requires_grad_()
    v = filled((4,), 3).requires_grad_()
    leaves = (w, s, v)

    probe = expression(x, w, s, v)
    ops = count_ops(probe)
    print(f"torch {torch.__version__}: {ops} recorded ops per pass, loss {probe.item():.6f}")
    probe.backward()
    print(f"torch: grad sums w {w.grad.sum().item():.6f}  s {s.grad.sum().item():.6f}  v {v.grad.sum().item():.6f}")
    for t in leaves:
        t.grad = None

    def forward_backward():
        expression(x, w, s, v).backward()
        for t in leaves:
            t.grad = None

    def forward():
        expression(x, w, s, v)

    def forward_nograd():
        with torch.no_grad():
            expression(x, w, s, v)

    passes = (("forward_backward", forward_backward), ("forward", forward), ("forward_nograd", forward_nograd))
    default_threads = torch.get_num_threads()
    results = {}  # pass -> (best time, threads it used)
    thread_counts = sorted({1, default_threads, os.cpu_count() or 1})
    for name, body in passes:
        medians = median_us_per_op(clock, samples, iterations, ops, body, thread_counts)
        for threads, t in medians.items():
            print(f"torch: threads {threads}{' (default)' if threads == default_threads else ''}  "
                  f"{name:16s} {t:.3f} us per op ({'wall-clock' if wall else 'CPU-time'})")
            if name not in results or t < results[name][0]:
                results[name] = (t, threads)
    torch.set_num_threads(default_threads)

    print(f"RESULT ops {ops}")
    for name, (t, threads) in results.items():
        print(f"RESULT {name} {t:.4f}")
        print(f"RESULT {name}_threads {threads}")


if __name__ == "__main__":
    main()
