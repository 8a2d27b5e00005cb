#!/usr/bin/env python3
"""train_parity.py — `mpirun -np N qkv train` against one process (ctest, when qkv was built
with MPI): python3 train_parity.py --qkv PATH --mpirun PATH CASE.

  parity   2 ranks and 1 process train on the same global batches (dropout 0): every step's
           loss and gradient norm, and every weight after 10 steps, agree to float32 summation
           tolerance; rank 1 writes nothing (the run directories hold the same files)
  resume   10 steps on 1 process = 5 on 2 ranks + 5 resumed on 1 process = 5 on 1 process + 5
           resumed on 3 ranks (losses and weights, to tolerance), the data position kept
  dropout  with dropout, (seed, N) fixes the run: two 2-rank runs are identical, and 5 + 5
           resumed on 2 ranks equals 10 uninterrupted on 2 ranks
  faults   a rank that fails (rank 1 cannot read its data) or is killed (SIGKILL) ends the whole
           job, with the failing rank's message; SIGINT to mpirun makes rank 0 save
           last.safetensors, as Ctrl-C does for one process

Each run trains a 6,030-parameter Transformer on 120 made-up sentence pairs for a few seconds.
"""
import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

# qkv train's recipe learns one joint BPE vocabulary, shares the embeddings, keeps 10 epochs and
# chooses a final model on validation at the end (train/recipe.h); these tiny runs keep the
# first recipe's word vocabularies and none of that, so what they test does not depend on it.
PLAIN = ["--tokenizer", "whitespace", "--no-joint-vocab", "--no-share-embeddings", "--keep-checkpoints", "0",
         "--finalize", "0"]

RTOL, ATOL = 2e-4, 2e-5  # float32, summation order only
# Attention's key bias gets a gradient that is zero in exact arithmetic (softmax ignores a
# constant added to every score of a row), so in float32 it is rounding noise, which Adam turns
# into steps of about ±lr whatever its size: it is compared within 10 steps of the peak lr.
NOISE_ONLY = ("k_proj.bias",)
NOISE_ATOL = 10 * 1e-3


def write_corpus(path, lines, seed):
    import random
    rng = random.Random(seed)
    words = "a b c d e f g h i j".split()
    with open(path, "w") as f:
        for _ in range(lines):
            s = [rng.choice(words) for _ in range(rng.randint(3, 7))]
            f.write(" ".join(s) + "\t" + " ".join(reversed(s)) + "\n")


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    types = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=types[info["dtype"]]).reshape(info["shape"])
    return out, header.get("__metadata__", {})


def train_rows(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [r for r in map(json.loads, f) if r["kind"] == "train"]


class Runner:
    def __init__(self, qkv, mpirun, tmp):
        self.qkv, self.mpirun, self.tmp = qkv, mpirun, tmp
        write_corpus(os.path.join(tmp, "train.tsv"), 120, 1)
        write_corpus(os.path.join(tmp, "valid.tsv"), 12, 2)
        self.env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        OMPI_MCA_rmaps_base_oversubscribe="1", QKV_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

    def dir(self, name):
        return os.path.join(self.tmp, name)

    def model_args(self, dropout):
        return ["--train-tsv", self.dir("train.tsv"), "--valid-tsv", self.dir("valid.tsv"), "--min-freq", "1",
                "--d-model", "16", "--heads", "2", "--encoder-layers", "1", "--decoder-layers", "1",
                "--ffn-dim", "32", "--max-tokens", "120", "--warmup", "5", "--dropout", str(dropout)] + PLAIN

    def command(self, ranks, args):
        base = [self.qkv, "train", "--no-progress"] + args
        return base if ranks == 1 else [self.mpirun, "-np", str(ranks)] + base

    def run(self, ranks, args, expect=0):
        p = subprocess.run(self.command(ranks, args), capture_output=True, text=True, timeout=120, env=self.env)
        if p.returncode != expect:
            sys.exit(f"{' '.join(self.command(ranks, args))}\nexited {p.returncode}, expected {expect}\n"
                     f"{p.stdout}\n{p.stderr}")
        return p

    def train(self, ranks, name, steps, dropout=0.0):
        self.run(ranks, self.model_args(dropout) + ["--max-steps", str(steps), "--out-dir", self.dir(name)])
        return self.dir(name)

    def resume(self, ranks, name, steps):
        self.run(ranks, ["--resume", os.path.join(self.dir(name), "last.safetensors"), "--max-steps", str(steps)])
        return self.dir(name)


def compare_runs(a, b, what, exact=False):
    ra, rb = train_rows(a), train_rows(b)
    assert [r["step"] for r in ra] == [r["step"] for r in rb], f"{what}: steps {len(ra)} vs {len(rb)}"
    for x, y in zip(ra, rb):
        for key in ("loss", "grad_norm", "tokens", "epoch"):
            ok = x[key] == y[key] if exact or key in ("tokens", "epoch") else np.isclose(x[key], y[key], RTOL, ATOL)
            assert ok, f"{what}: step {x['step']} {key}: {x[key]} vs {y[key]}"
    wa, ma = read_safetensors(os.path.join(a, "last.safetensors"))
    wb, mb = read_safetensors(os.path.join(b, "last.safetensors"))
    for key in ("state.step", "state.epoch", "state.batch_in_epoch"):
        assert ma[key] == mb[key], f"{what}: {key} {ma[key]} vs {mb[key]}"
    worst = 0.0
    for name, t in wa.items():
        if not name.startswith("model/"):
            continue
        u = wb[name]
        assert t.shape == u.shape, f"{what}: {name} shapes {t.shape} vs {u.shape}"
        if exact:
            assert np.array_equal(t, u), f"{what}: {name} differs"
        elif name.endswith(NOISE_ONLY):
            assert np.allclose(t, u, 0, NOISE_ATOL), f"{what}: {name}: max difference {np.abs(t - u).max()}"
            continue
        else:
            assert np.allclose(t, u, RTOL, ATOL), f"{what}: {name}: max difference {np.abs(t - u).max()}"
        worst = max(worst, float(np.abs(t - u).max()) if t.size else 0.0)
    print(f"{what}: {len(ra)} steps agree; largest weight difference {worst:.3g}")


def case_parity(r):
    one, two = r.train(1, "one", 10), r.train(2, "two", 10)
    compare_runs(one, two, "1 process vs 2 ranks")
    assert sorted(os.listdir(one)) == sorted(os.listdir(two)), f"{sorted(os.listdir(one))} vs {sorted(os.listdir(two))}"
    rows = train_rows(two)
    assert rows[0]["tokens"] > 0


def case_resume(r):
    whole = r.train(1, "whole", 10)
    r.train(2, "two_then_one", 5)
    compare_runs(whole, r.resume(1, "two_then_one", 10), "5 steps on 2 ranks + 5 resumed on 1 process")
    r.train(1, "one_then_three", 5)
    compare_runs(whole, r.resume(3, "one_then_three", 10), "5 steps on 1 process + 5 resumed on 3 ranks")


def case_dropout(r):
    a, b = r.train(2, "drop_a", 10, dropout=0.3), r.train(2, "drop_b", 10, dropout=0.3)
    compare_runs(a, b, "two 2-rank runs with dropout 0.3", exact=True)
    r.train(2, "drop_resumed", 5, dropout=0.3)
    compare_runs(a, r.resume(2, "drop_resumed", 10), "dropout: 5 + 5 resumed on 2 ranks", exact=True)
    one = r.train(1, "drop_one", 10, dropout=0.3)
    assert train_rows(one)[3]["loss"] != train_rows(a)[3]["loss"], "2 ranks drew the masks of 1 process"


def case_faults(r):
    # Rank 1 cannot read its training data: MPMD, the same program with one argument changed.
    args = r.model_args(0.0) + ["--max-steps", "1000", "--out-dir", r.dir("fail")]
    bad = [a if a != r.dir("train.tsv") else r.dir("missing.tsv") for a in args]
    cmd = [r.mpirun, "-np", "1", r.qkv, "train", "--no-progress"] + args + [":", "-np", "1", r.qkv, "train",
                                                                             "--no-progress"] + bad
    start = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=r.env)
    assert p.returncode != 0, "a failed rank left the job exit 0"
    assert "rank 1 of 2: qkv: read_parallel_tsv: cannot open" in p.stderr and "missing.tsv" in p.stderr, p.stderr
    print(f"failing rank: exit {p.returncode} after {time.time() - start:.1f} s, message: "
          f"{[l for l in p.stderr.splitlines() if 'rank 1 of 2' in l][0]}")

    # A rank killed mid-run (SIGKILL) ends the job; SIGINT to mpirun saves a checkpoint.
    for sig in (signal.SIGKILL, signal.SIGINT):
        run_dir = r.dir(f"signal_{sig.name}")
        proc = subprocess.Popen(r.command(2, r.model_args(0.0) + ["--epochs", "1000", "--out-dir", run_dir]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=r.env)
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(os.path.join(run_dir, "metrics.jsonl")):
            time.sleep(0.2)
        time.sleep(1.5)  # a few steps
        if sig == signal.SIGKILL:
            children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            # Their comm is "exe" (qkv re-executes itself through /proc/self/exe): match the command line.
            ranks = [c for c in children if b"train" in open(f"/proc/{c}/cmdline", "rb").read()]
            if len(ranks) != 2:
                proc.kill()
                sys.exit(f"expected 2 rank processes under mpirun, found {children}")
            os.kill(int(ranks[-1]), signal.SIGKILL)
        else:
            proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit(f"{sig.name}: the job hung")
        assert proc.returncode != 0, f"{sig.name}: exit 0"
        if sig == signal.SIGINT:
            assert "qkv train: stopped (interrupted)" in out, f"SIGINT: rank 0 did not stop and save:\n{out}\n{err}"
            rows = train_rows(run_dir)
            _, meta = read_safetensors(os.path.join(run_dir, "last.safetensors"))
            assert int(meta["state.step"]) == rows[-1]["step"], f"SIGINT: saved step {meta['state.step']}, last row {rows[-1]['step']}"
            print(f"SIGINT: exit {proc.returncode}, last.safetensors at step {meta['state.step']}")
        else:
            print(f"SIGKILL of rank 1: exit {proc.returncode}; {err.strip().splitlines()[:1]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qkv", required=True)
    p.add_argument("--mpirun", required=True)
    p.add_argument("case", choices=["parity", "resume", "dropout", "faults"])
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        globals()["case_" + a.case](Runner(a.qkv, a.mpirun, tmp))


if __name__ == "__main__":
    main()
