#!/usr/bin/python3
"""torch_matmul.py — times torch.matmul / torch.bmm (float32) on the shapes of matmul_bench.cpp.

Run with Debian's /usr/bin/python3 (the one PyTorch is installed for):
  /usr/bin/python3 bench/torch_matmul.py [--quick]      (--quick: 3 runs per shape, smoke tests only)
Each thread setting runs in its own process, because OMP_WAIT_POLICY and OPENBLAS_NUM_THREADS
only take effect before the libraries start:
  threads=1       torch.set_num_threads(1), OpenBLAS with <cores> threads
  default         torch's default thread count, OMP_WAIT_POLICY=PASSIVE
  threads=N       torch.set_num_threads(<cores>), OMP_WAIT_POLICY=PASSIVE
Prints, per shape, the fastest setting as
  RESULT <shape> torch <median microseconds> <GFLOP/s> <setting>
(the format of matmul_bench), preceded by '#' lines with every setting's numbers.
"""
import os
import statistics
import subprocess
import sys
import time

CASES = [  # name, batch (0: one 2-D matmul), m, k, n
    ("2048x256@256x256", 0, 2048, 256, 256),
    ("2048x256@256x1024", 0, 2048, 256, 1024),
    ("2048x1024@1024x256", 0, 2048, 1024, 256),
    ("2048x256@256x8000", 0, 2048, 256, 8000),
    ("256x(32x64@64x32)", 256, 32, 64, 32),
    ("256x(32x32@32x64)", 256, 32, 32, 64),
]


def median_seconds(f, quick=False):
    """Median wall time of f() over enough runs to fill about 0.6 s (15 to 3000; 3 if quick)."""
    for _ in range(1 if quick else 3):
        f()
    start = time.perf_counter()
    f()
    once = time.perf_counter() - start
    runs = 3 if quick else min(max(int(0.6 / max(once, 1e-7)), 15), 3000)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(setting, quick):
    """Child process: times every case under one thread setting."""
    import torch

    if setting == "threads=1":
        torch.set_num_threads(1)
    elif setting.startswith("threads="):
        torch.set_num_threads(int(setting.split("=")[1]))
    gen = torch.Generator().manual_seed(0)
    for name, batch, m, k, n in CASES:
        if batch:
            a = torch.randn(batch, m, k, generator=gen)
            b = torch.randn(batch, k, n, generator=gen)
            seconds = median_seconds(lambda: torch.bmm(a, b), quick)
        else:
            a = torch.randn(m, k, generator=gen)
            b = torch.randn(k, n, generator=gen)
            seconds = median_seconds(lambda: torch.matmul(a, b), quick)
        gflops = 2.0 * max(batch, 1) * m * n * k / seconds / 1e9
        print(f"RESULT {name} torch {seconds * 1e6:.1f} {gflops:.1f} {setting} "
              f"(torch threads {torch.get_num_threads()})", flush=True)


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    if len(args) >= 2 and args[0] == "--setting":
        measure(args[1], quick)
        return
    if [a for a in args if a != "--quick"]:
        sys.exit("usage: torch_matmul.py [--quick]")
    cores = len(os.sched_getaffinity(0))
    settings = {"threads=1": {"OPENBLAS_NUM_THREADS": str(cores)}, "default": {"OMP_WAIT_POLICY": "PASSIVE"}}
    if cores > 1:
        settings[f"threads={cores}"] = {"OMP_WAIT_POLICY": "PASSIVE"}
    best = {}
    for setting, env in settings.items():
        command = [sys.executable, __file__, "--setting", setting] + (["--quick"] if quick else [])
        out = subprocess.run(command, env={**os.environ, **env},
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            print("#", line)
            _, name, _, micros, gflops, *rest = line.split()
            if name not in best or float(micros) < best[name][0]:
                best[name] = (float(micros), float(gflops), " ".join(rest))
    for name, *_ in CASES:
        micros, gflops, setting = best[name]
        print(f"RESULT {name} torch {micros:.1f} {gflops:.1f} {setting}")


if __name__ == "__main__":
    main()
