#!/usr/bin/env python3
"""train_run_dir.py — qkv train's behaviour around its run directory and its exit statuses,
each case a ctest test (tests/CMakeLists.txt): python3 train_run_dir.py --qkv PATH CASE.

  refuse     a second run into a directory that holds one exits 1, names --resume DIR/last.safetensors,
             and leaves every file byte-identical; --overwrite starts over
  lock       while a run trains, a second one into its directory exits 1 naming the first's pid
  sigterm    SIGTERM part-way: the run saves last.safetensors and exits 143 (SIGINT: 130); two
             signals quit at once, leaving no damaged checkpoint
  config     a run's config.toml given to --config reproduces the same options (and train.log
             holds the lines the terminal showed)
  quiet      --quiet prints only the final message on stdout; --threads 1 runs one thread
  usage      an unknown flag, a malformed value and conflicting options exit 2
  init_from  --init-from CKPT with new data starts from its weights; a model option that would
             change its shape exits 2 naming it; --init-from with --resume exits 2
  orphans    temporary checkpoint files of killed runs (dead pids) are removed when a run resumes,
             and train.log says so; a live process's temporary file and other files stay
  lock_file  every exit path removes DIR/.lock (and a directory the refused run created); a
             stale .lock left by a killed run (its pid dead) does not block the next run
  data       --resume on a changed training file is refused naming it; --allow-data-change
             continues and train.log says what changed; a checkpoint without fingerprints (older
             qkv) resumes with a note and its next save records them
  long_line  a training line of 6,000 bytes is dropped by --max-length and counted like any other

Each run trains a 6,030-parameter Transformer on 120 made-up sentence pairs in a temporary
directory; the whole file runs in a few seconds.
"""
import argparse
import hashlib
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

# qkv train's recipe learns one joint BPE vocabulary, shares the embeddings, keeps 10 epochs and
# chooses a final model on validation at the end (train/recipe.h); these tiny runs keep the
# first recipe's word vocabularies and none of that, so what they test does not depend on it.
PLAIN = ["--tokenizer", "whitespace", "--no-joint-vocab", "--no-share-embeddings", "--keep-checkpoints", "0",
         "--finalize", "0"]


def write_corpus(path, lines, seed):
    rng = random.Random(seed)
    words = "a b c d e f g h i j".split()
    with open(path, "w") as f:
        for _ in range(lines):
            s = [rng.choice(words) for _ in range(rng.randint(3, 7))]
            f.write(" ".join(s) + "\t" + " ".join(reversed(s)) + "\n")


class Runner:
    def __init__(self, qkv, tmp):
        self.qkv, self.tmp = qkv, tmp
        write_corpus(os.path.join(tmp, "train.tsv"), 120, 1)
        write_corpus(os.path.join(tmp, "valid.tsv"), 12, 2)

    def args(self, *extra, tiny=True):
        model = ["--train-tsv", os.path.join(self.tmp, "train.tsv"), "--valid-tsv", os.path.join(self.tmp, "valid.tsv"),
                 "--min-freq", "1", "--d-model", "16", "--heads", "2", "--encoder-layers", "1",
                 "--decoder-layers", "1", "--ffn-dim", "32", "--max-tokens", "120", "--warmup", "5",
                 "--no-progress"] + PLAIN
        return [self.qkv, "train"] + (model if tiny else []) + list(extra)

    def run(self, *extra, tiny=True):
        p = subprocess.run(self.args(*extra, tiny=tiny), capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def dir(self, *names):
        return os.path.join(self.tmp, *names)

    # A long run in the background, returned once it has trained a few steps.
    def start_long_run(self, out):
        p = subprocess.Popen(self.args("--epochs", "100000", "--out-dir", out), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        metrics = os.path.join(out, "metrics.jsonl")
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(metrics) and os.path.getsize(metrics) > 0:
                return p
            if p.poll() is not None:
                fail(f"the background run ended early: {p.communicate()}")
            time.sleep(0.05)
        p.kill()
        fail("the background run wrote no metrics within 30 s")


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def digests(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def case_refuse(r):
    out = r.dir("run")
    code, _, err = r.run("--epochs", "1", "--out-dir", out)
    expect(code == 0, f"first run: exit {code}: {err}")
    before = digests(out)
    code, _, err = r.run("--epochs", "1", "--lr", "0.002", "--out-dir", out)
    expect(code == 1, f"second run: exit {code}, expected 1")
    expect(f"already holds a run" in err and f"--resume {out}/last.safetensors" in err and "--overwrite" in err,
           f"the refusal does not name --resume and --overwrite: {err}")
    expect(digests(out) == before, "the refused run changed the directory")
    refusal = err.strip()
    code, _, err = r.run("--epochs", "1", "--lr", "0.002", "--out-dir", out, "--overwrite")
    expect(code == 0, f"--overwrite: exit {code}: {err}")
    expect(digests(out)["config.toml"] != before["config.toml"], "--overwrite did not start a new run")
    print("PASS: refused (exit 1, files unchanged):", refusal)


def case_lock(r):
    out = r.dir("locked")
    first = r.start_long_run(out)
    try:
        for extra in ([], ["--overwrite"]):
            code, _, err = r.run("--epochs", "1", "--out-dir", out, *extra)
            expect(code == 1, f"second run {extra}: exit {code}, expected 1")
            expect(f"'{out}' is in use by another qkv train (pid {first.pid})" in err,
                   f"second run {extra}: the message does not name the directory and pid {first.pid}: {err}")
            refusal = err.strip()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    code, _, err = r.run("--epochs", "1", "--out-dir", out, "--overwrite")
    expect(code == 0, f"after the first run ended, the lock is free: exit {code}: {err}")
    print("PASS: locked (exit 1):", refusal)


def case_sigterm(r):
    out = r.dir("sigterm")
    for signo, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        p = r.start_long_run(out)
        p.send_signal(signo)
        stdout, stderr = p.communicate(timeout=60)
        expect(p.returncode == status, f"signal {signo}: exit {p.returncode}, expected {status}: {stderr}")
        expect("interrupted; saving" in stdout and f"qkv train --resume {out}/last.safetensors" in stdout,
               f"signal {signo}: no save message naming --resume: {stdout}")
        expect("press Ctrl-C again to quit at once" in stderr, f"signal {signo}: not acknowledged: {stderr}")
        expect(os.path.exists(os.path.join(out, "last.safetensors")), "no last.safetensors")
        os.rename(out, out + f"-{status}")
    # A second signal quits at once (the default action), and never leaves a damaged checkpoint:
    # last.safetensors is absent (not saved yet) or one that qkv translate loads.
    p = r.start_long_run(out)
    p.send_signal(signal.SIGTERM)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    expect(p.returncode in (-signal.SIGTERM, 143), f"two signals: exit {p.returncode}")
    last = os.path.join(out, "last.safetensors")
    if os.path.exists(last):
        t = subprocess.run([r.qkv, "translate", "--model", last], input="a b c\n", capture_output=True, text=True)
        expect(t.returncode == 0, f"after two signals last.safetensors does not load: {t.stderr}")
    print(f"PASS: SIGTERM exits 143, SIGINT 130, both after saving; last lines:\n{stdout.strip()}")


def case_config(r):
    first, second = r.dir("first"), r.dir("second")
    code, stdout, err = r.run("--epochs", "1", "--lr", "0.003", "--pre-norm", "--out-dir", first)
    expect(code == 0, f"first run: exit {code}: {err}")
    config = os.path.join(first, "config.toml")
    code, _, err = r.run("--config", config, "--out-dir", second, tiny=False)
    expect(code == 0, f"run from config.toml: exit {code}: {err}")
    a = open(config).read()
    b = open(os.path.join(second, "config.toml")).read()
    expect("lr = 0.003" in a and "pre-norm = true" in a, f"config.toml misses the given options:\n{a}")
    expect(a.replace(f'out-dir = "{first}"', f'out-dir = "{second}"') == b,
           f"config.toml does not reproduce the options:\n{a}\n---\n{b}")
    log = open(os.path.join(first, "train.log")).read()
    expect(log == stdout, f"train.log is not what the terminal showed:\n{log}\n---\n{stdout}")
    print("PASS: config.toml round trip and train.log")


def case_quiet(r):
    code, stdout, err = r.run("--epochs", "1", "--quiet", "--out-dir", r.dir("quiet"))
    expect(code == 0, f"exit {code}: {err}")
    expect(stdout.startswith("qkv train: stopped (all epochs done)") and "valid loss" not in stdout,
           f"--quiet printed more than the final message:\n{stdout}")
    expect(err == "", f"--quiet wrote to stderr: {err}")
    expect("valid loss" in open(os.path.join(r.dir("quiet"), "train.log")).read(), "train.log misses the epochs")
    code, stdout, err = r.run("--epochs", "1", "--threads", "1", "--out-dir", r.dir("threads"))
    expect(code == 0 and "qkv train: 1 threads;" in stdout, f"--threads 1: exit {code}:\n{stdout}{err}")
    print("PASS: quiet, and --threads 1")


def case_usage(r):
    for extra, message in ((["--bogus"], "--bogus"), (["--lr", "abc"], "--lr"),
                           (["--arch", "rnn"], "--d-model is a Transformer option")):
        code, _, err = r.run("--out-dir", r.dir("usage"), *extra)
        expect(code == 2, f"{extra}: exit {code}, expected 2: {err}")
        expect(message in err, f"{extra}: the message does not name {message}: {err}")
    code, stdout, _ = r.run("--help", tiny=False)
    expect(code == 0 and "2 usage error" in stdout, "qkv train --help does not list the exit statuses")
    print("PASS: usage errors exit 2")


def case_init_from(r):
    code, _, err = r.run("--epochs", "1", "--out-dir", r.dir("base"))
    expect(code == 0, f"base run: exit {code}: {err}")
    checkpoint = os.path.join(r.dir("base"), "last.safetensors")
    write_corpus(os.path.join(r.tmp, "new.tsv"), 50, 7)
    code, _, err = r.run("--init-from", checkpoint, "--d-model", "32", "--heads", "2", "--out-dir", r.dir("bad"),
                         tiny=False)
    expect(code == 2 and "--d-model 32 (the checkpoint has 16)" in err, f"conflict: exit {code}: {err}")
    expect(not os.path.exists(r.dir("bad")), "a refused --init-from created its directory")
    conflict = err.strip()
    code, _, err = r.run("--init-from", checkpoint, "--resume", checkpoint, tiny=False)
    expect(code == 2 and "--resume excludes --init-from" in err, f"with --resume: exit {code}: {err}")
    code, stdout, err = r.run("--init-from", checkpoint, "--train-tsv", os.path.join(r.tmp, "new.tsv"),
                              "--valid-tsv", os.path.join(r.tmp, "valid.tsv"), "--dropout", "0.3", "--lr", "0.0005",
                              "--epochs", "1", "--no-progress", "--out-dir", r.dir("fine"), tiny=False)
    expect(code == 0, f"fine-tuning: exit {code}: {err}")
    expect(f"a new run from the weights and vocabularies of {checkpoint}" in stdout and "50 training pairs" in stdout,
           f"fine-tuning did not start from the checkpoint on the new data:\n{stdout}")
    config = open(os.path.join(r.dir("fine"), "config.toml")).read()
    expect("d-model = 16" in config and "dropout = 0.3" in config and "lr = 0.0005" in config, config)
    print("PASS: init-from; the conflict:", conflict)


def case_orphans(r):
    out = r.dir("orphans")
    code, _, err = r.run("--epochs", "1", "--out-dir", out)
    expect(code == 0, f"first run: exit {code}: {err}")
    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid is no live process now
    live = subprocess.Popen(["sleep", "60"])
    try:
        names = {f".last.safetensors.tmp-{dead.pid}-0": 1000, f".best.safetensors.tmp-{dead.pid}-3": 2000,
                 f".last.safetensors.tmp-{live.pid}-0": 10, ".notes.txt": 5, "last.safetensors.tmp-1-0": 7}
        for name, size in names.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(b"x" * size)
        code, stdout, err = r.run("--resume", os.path.join(out, "last.safetensors"), "--epochs", "2", tiny=False)
        expect(code == 0, f"resume: exit {code}: {err}")
        left = set(os.listdir(out))
        expect(f".last.safetensors.tmp-{dead.pid}-0" not in left and f".best.safetensors.tmp-{dead.pid}-3" not in left,
               f"orphaned temporary files were not removed: {sorted(left)}")
        for kept in (f".last.safetensors.tmp-{live.pid}-0", ".notes.txt", "last.safetensors.tmp-1-0"):
            expect(kept in left, f"{kept} was removed: {sorted(left)}")
        log = open(os.path.join(out, "train.log")).read()
        expect(f"removed .last.safetensors.tmp-{dead.pid}-0 (1000 bytes)" in log, f"train.log does not say so:\n{log}")
    finally:
        live.kill()
        live.wait()
    print("PASS: orphaned temporary files removed and logged")


def case_lock_file(r):
    out = r.dir("nested", "lockfile")
    code, _, err = r.run("--epochs", "1", "--lr", "0", "--out-dir", out)  # refused by validate, after the lock
    expect(code == 1, f"refused run: exit {code}: {err}")
    expect(not os.path.exists(r.dir("nested")), "a refused run left its directory (or .lock) behind")
    code, _, err = r.run("--epochs", "1", "--out-dir", out)
    expect(code == 0 and not os.path.exists(os.path.join(out, ".lock")), f"a finished run left .lock: {err}")
    code, _, err = r.run("--epochs", "1", "--out-dir", out)
    expect(code == 1 and not os.path.exists(os.path.join(out, ".lock")), f"a refused run left .lock: {err}")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(os.path.join(out, ".lock"), "w") as f:
        f.write(f"{dead.pid}\n")  # what a kill -9 leaves
    code, _, err = r.run("--epochs", "1", "--overwrite", "--out-dir", out)
    expect(code == 0, f"a stale .lock blocked the run: exit {code}: {err}")
    expect(not os.path.exists(os.path.join(out, ".lock")), "the stale .lock is still there")
    print("PASS: .lock removed on every exit; a stale one is taken over")


def case_data(r):
    out = r.dir("data")
    train = os.path.join(r.tmp, "train.tsv")
    code, _, err = r.run("--epochs", "1", "--out-dir", out)
    expect(code == 0, f"first run: exit {code}: {err}")
    with open(train, "a") as f:
        f.write("a b c\tc b a\n")
    before = digests(out)
    last = os.path.join(out, "last.safetensors")
    code, _, err = r.run("--resume", last, "--epochs", "2", tiny=False)
    expect(code == 1 and f"--train-tsv '{train}' is now" in err and "--allow-data-change" in err,
           f"resume on changed data: exit {code}: {err}")
    expect(digests(out) == before, "the refused resume changed the run directory")
    refusal = err.strip()
    code, stdout, err = r.run("--resume", last, "--epochs", "2", "--allow-data-change", tiny=False)
    expect(code == 0 and "continuing on changed data" in stdout, f"--allow-data-change: exit {code}: {stdout}{err}")
    expect("continuing on changed data" in open(os.path.join(out, "train.log")).read(), "train.log misses the note")
    # A checkpoint written before fingerprints existed resumes with a note, and its next save has them.
    with open(last, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["__metadata__"] = {k: v for k, v in header["__metadata__"].items() if not k.startswith("data.")}
    text = json.dumps(header).encode()
    with open(last, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data[8 + n:])
    code, stdout, err = r.run("--resume", last, "--epochs", "3", tiny=False)
    expect(code == 0 and "records no fingerprint of its data" in stdout, f"old checkpoint: exit {code}: {stdout}{err}")
    with open(last, "rb") as f:
        data = f.read()
    expect(b'"data.train_tsv"' in data[:8 + struct.unpack("<Q", data[:8])[0]], "the next save has no fingerprint")
    print("PASS: changed data refused naming the file:", refusal)


def case_long_line(r):
    with open(os.path.join(r.tmp, "train.tsv"), "a") as f:
        f.write(" ".join(["a"] * 3000) + "\tb c\n")
    code, stdout, err = r.run("--epochs", "1", "--out-dir", r.dir("long"))
    expect(code == 0, f"a long line stopped the run: exit {code}: {err}")
    expect("121 training pairs (1 dropped as longer than 100)" in stdout, f"the long pair is not counted:\n{stdout}")
    print("PASS: a 6,000-byte line is dropped by --max-length")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkv", required=True)
    parser.add_argument("case", choices=["refuse", "lock", "sigterm", "config", "quiet", "usage", "init_from", "orphans",
                                         "lock_file", "data", "long_line"])
    a = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qkv-cli-") as tmp:
        globals()["case_" + a.case](Runner(a.qkv, tmp))


if __name__ == "__main__":
    main()
