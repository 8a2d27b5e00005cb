#!/usr/bin/env python3
"""bad_inputs.py — many bad inputs to qkv train, translate, eval and average, one table row
each: the exit status, a fragment of the one error message, and that nothing was written or
lost (every file and directory under the test's directory has the same size and mtime after
the command as before, and no file or directory appeared). A ctest test
(tests/CMakeLists.txt): python3 bad_inputs.py --qkv PATH.

The setup trains two 6,030-parameter Transformers on made-up pairs (a few seconds), then
writes the bad files: corpora with a NUL or other control character, invalid UTF-8, a missing
tab; checkpoints whose metadata disagrees with their tensors; a run whose data changed after
it was trained. Then the rows run, each in a fresh snapshot of the tree.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

# qkv train's recipe learns one joint BPE vocabulary, shares the embeddings, keeps 10 epochs and
# chooses a final model on validation at the end (train/recipe.h); these tiny runs keep the
# first recipe's word vocabularies and none of that, so what they test does not depend on it.
PLAIN = ["--tokenizer", "whitespace", "--no-joint-vocab", "--no-share-embeddings", "--keep-checkpoints", "0",
         "--finalize", "0"]


def write_pairs(path, lines, seed, tsv=True):
    rng = random.Random(seed)
    words = "a b c d e f g h i j".split()
    rows = []
    for _ in range(lines):
        s = [rng.choice(words) for _ in range(rng.randint(3, 7))]
        rows.append((" ".join(s), " ".join(reversed(s))))
    if tsv:
        with open(path, "w") as f:
            f.writelines(f"{a}\t{b}\n" for a, b in rows)
    else:
        with open(path + ".en", "w") as f:
            f.writelines(a + "\n" for a, _ in rows)
        with open(path + ".de", "w") as f:
            f.writelines(b + "\n" for _, b in rows)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def write_safetensors(path, header, body):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)


# A copy of `source` with its metadata edited by `edit(metadata)`.
def edited_checkpoint(source, target, edit):
    header, body = read_safetensors(source)
    edit(header["__metadata__"])
    write_safetensors(target, header, body)


# A copy of `source` whose int64 tensor `name` holds `value`.
def with_int64(source, target, name, value):
    header, body = read_safetensors(source)
    begin, end = header[name]["data_offsets"]
    body = body[:begin] + struct.pack("<q", value) + body[end:]
    write_safetensors(target, header, body)


# Every file with its size and mtime, and every directory (by name only: a refused run may take
# and release a directory's lock, which changes the directory's mtime and leaves nothing).
def snapshot(root):
    out = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.relpath(os.path.join(directory, name), root)] = "directory"
        for name in files:
            st = os.lstat(os.path.join(directory, name))
            out[os.path.relpath(os.path.join(directory, name), root)] = (st.st_size, st.st_mtime_ns)
    return out


# `args` with each (flag, value) of `pairs` replacing that flag's value, or appended.
def given(args, *pairs):
    args = list(args)
    for flag, value in pairs:
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    return args


class Setup:
    def __init__(self, qkv, tmp):
        self.qkv, self.tmp = qkv, tmp
        p = self.path
        write_pairs(p("train.tsv"), 120, 1)
        write_pairs(p("valid.tsv"), 12, 2)
        write_pairs(p("pair"), 40, 3, tsv=False)
        self.tiny = ["--min-freq", "1", "--d-model", "16", "--heads", "2", "--encoder-layers", "1",
                     "--decoder-layers", "1", "--ffn-dim", "32", "--max-tokens", "120", "--warmup", "5",
                     "--no-progress", "--quiet"] + PLAIN
        self.train_run("run", p("train.tsv"), p("valid.tsv"), "--keep-checkpoints", "1")
        # A run whose training file, and one whose validation file, changed after it was saved.
        shutil.copy(p("train.tsv"), p("edited_train.tsv"))
        shutil.copy(p("valid.tsv"), p("edited_valid.tsv"))
        self.train_run("edited_t", p("edited_train.tsv"), p("valid.tsv"))
        self.train_run("edited_v", p("train.tsv"), p("edited_valid.tsv"))
        with open(p("edited_train.tsv"), "a") as f:
            f.write("j j j\tk k k\n")
        with open(p("edited_valid.tsv"), "r+") as f:
            f.write("x")  # same size, other bytes
        # A second model of another width, to average with the first.
        shutil.copytree(p("run"), p("wide_src"))
        self.train_run("wide", p("train.tsv"), p("valid.tsv"), "--d-model", "32", "--ffn-dim", "64")
        shutil.rmtree(p("wide_src"))
        subprocess.run([qkv, "average", "-o", p("avg.safetensors"), p("run/last.safetensors"),
                        p("run/epoch-001.safetensors")], check=True, capture_output=True)
        self.write_bad_corpora()
        self.write_bad_checkpoints()
        with open(p("hyp.txt"), "w") as f:
            f.write("a b c\nd e f\n")

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def train_run(self, out, train, valid, *extra):
        args = given([self.qkv, "train", "--train-tsv", train, "--valid-tsv", valid, *self.tiny, "--epochs", "1",
                      "--out-dir", self.path(out)], *zip(extra[::2], extra[1::2]))
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"setup: {' '.join(args)}: exit {p.returncode}: {p.stderr}")

    def write_bad_corpora(self):
        good = open(self.path("train.tsv"), "rb").read()
        bad = {
            "nul.tsv": b"a b\x00c\td e\n",
            "esc.tsv": good + b"a \x1b[31mb\tc d\n",
            "del.tsv": b"a b\tc\x7fd\n",
            "unit_sep.tsv": b"a\x1fb\tc d\n",
            "bell.tsv": b"a b\tc d\x07\n",
            "utf8.tsv": good + b"caf\xe9\tcafe\n",
            "overlong.tsv": b"\xc0\xaf\tx\n",
            "surrogate.tsv": b"a\xed\xa0\x80\tb\n",
            "notab.tsv": good + b"no tab here\n",
            "twotabs.tsv": b"a\tb\tc\n",
            "nosource.tsv": b"\tb c\n",
            "notarget.tsv": b"a b\t \n",
            "empty.tsv": b"",
            "blankline.tsv": good + b"\n",
            "utf16.tsv": "a b\tc d\n".encode("utf-16-le"),
            "longvalid.tsv": open(self.path("valid.tsv"), "rb").read() + (b"a " * 300) + b"\tb\n",
            "nul.txt": b"a b\x00c\n",
            "pair_short.de": b"only one line\n",
            "ctrl.en": open(self.path("pair.en"), "rb").read()[:-1] + b"\x01\n",
        }
        for name, data in bad.items():
            with open(self.path(name), "wb") as f:
                f.write(data)
        os.mkdir(self.path("a_directory"))

    def write_bad_checkpoints(self):
        last = self.path("run", "last.safetensors")
        os.mkdir(self.path("bad"))

        def meta(name, **changes):
            def edit(m):
                for key, value in changes.items():
                    m[key.replace("__", ".")] = value
            edited_checkpoint(last, self.path("bad", name), edit)

        header, _ = read_safetensors(last)
        m = header["__metadata__"]
        vocab = m["source.vocab"]
        meta("source_vocab.safetensors", model__source_vocab=str(int(m["model.source_vocab"]) + 1))
        meta("target_vocab.safetensors", model__target_vocab=str(int(m["model.target_vocab"]) - 1))
        meta("vocab_text.safetensors", source__vocab=vocab + "extra\n")
        meta("d_model.safetensors", model__d_model="32", model__num_heads="2")
        meta("dtype.safetensors", model__dtype="float64")
        meta("spaced_token.safetensors", target__vocab=m["target.vocab"].replace("\na\n", "\na b\n", 1))
        meta("step.safetensors", state__step="-1")
        meta("epoch.safetensors", state__epoch="-3")
        meta("batch.safetensors", state__batch_in_epoch="-1")
        meta("tokens.safetensors", state__target_tokens="-5")
        meta("seconds.safetensors", state__train_seconds="nan")
        meta("best_epoch.safetensors", state__best_epoch="7")
        meta("best_bleu.safetensors", state__best_bleu="250")
        meta("format.safetensors", format="qkv-training-checkpoint-9")
        meta("no_format.safetensors", format="")
        meta("tokenizer.safetensors", source__tokenizer="qkv-tokenizer nonsense v1\n")
        meta("unsorted_specials.safetensors", source__vocab=vocab.replace("<pad>\n<unk>\n", "<unk>\n<pad>\n", 1))
        meta("arch.safetensors", train__arch="lstm")
        meta("lr.safetensors", train__lr="abc")
        meta("no_optim.safetensors", optim__name="")
        with_int64(last, self.path("bad", "optim_step.safetensors"), "optim/param.0.step", 1000)
        data = open(last, "rb").read()
        with open(self.path("bad", "truncated.safetensors"), "wb") as f:
            f.write(data[: len(data) // 2])
        with open(self.path("bad", "text.safetensors"), "w") as f:
            f.write("this is not a checkpoint\n")


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def rows(s):
    p = s.path
    train = [s.qkv, "train", "--valid-tsv", p("valid.tsv"), *s.tiny, "--out-dir", p("new")]
    tsv = lambda name: train + ["--train-tsv", p(name)]  # noqa: E731
    translate = lambda model, *a: [s.qkv, "translate", "--model", model, *a]  # noqa: E731
    resume = lambda ckpt, *a: [s.qkv, "train", "--resume", ckpt, "--epochs", "3", *a]  # noqa: E731
    bad = lambda name: p("bad", name + ".safetensors")  # noqa: E731
    last = p("run", "last.safetensors")
    r = [
        # Data not what it seems: each refused naming the file and line, before the run writes.
        ("train NUL", tsv("nul.tsv"), 1, "nul.tsv' line 1: control character U+0000"),
        ("train ESC", tsv("esc.tsv"), 1, "line 121: control character U+001B"),
        ("train DEL", tsv("del.tsv"), 1, "control character U+007F"),
        ("train unit separator", tsv("unit_sep.tsv"), 1, "control character U+001F"),
        ("train BEL", tsv("bell.tsv"), 1, "control character U+0007"),
        ("train UTF-16", tsv("utf16.tsv"), 1, "U+0000"),
        ("train Latin-1", tsv("utf8.tsv"), 1, "line 121: invalid UTF-8"),
        ("train overlong UTF-8", tsv("overlong.tsv"), 1, "invalid UTF-8 at byte offset 0"),
        ("train surrogate", tsv("surrogate.tsv"), 1, "invalid UTF-8 at byte offset 1"),
        ("train no tab", tsv("notab.tsv"), 1, "line 121: expected exactly one tab"),
        ("train two tabs", tsv("twotabs.tsv"), 1, "found 2"),
        ("train empty source", tsv("nosource.tsv"), 1, "the source (before the tab) is empty"),
        ("train empty target", tsv("notarget.tsv"), 1, "the target (after the tab) is empty"),
        ("train empty file", tsv("empty.tsv"), 1, "is empty"),
        ("train blank line", tsv("blankline.tsv"), 1, "line 121: expected exactly one tab"),
        ("train missing file", tsv("missing.tsv"), 1, "cannot open"),
        ("train directory", tsv("a_directory"), 1, "it is a directory"),
        ("valid NUL", given(tsv("train.tsv"), ("--valid-tsv", p("nul.tsv"))), 1, "U+0000"),
        ("valid too long for positions", given(tsv("train.tsv"), ("--valid-tsv", p("longvalid.tsv"))), 1, "longvalid.tsv (column 1) line 13 has 300 tokens"),
        ("pair line counts", train + ["--train-source", p("pair.en"), "--train-target", p("pair_short.de")], 1,
         "different line counts"),
        ("pair control char", train + ["--train-source", p("ctrl.en"), "--train-target", p("pair.de")], 1,
         "ctrl.en' line 40: control character U+0001"),
        ("all pairs dropped", tsv("train.tsv") + ["--max-length", "1"], 1, "nothing to train on"),
        ("max-length beyond positions", tsv("train.tsv") + ["--max-length", "300"], 1,
         "--max-length must be below the Transformer's max_positions (256)"),
        ("min-freq too high", given(tsv("train.tsv"), ("--min-freq", "100000")), 1, "lower --min-freq"),
        # Memory: refused before allocating, with the numbers.
        ("memory small machine", ["env", "QKV_MEMORY_AVAILABLE_BYTES=100000"] + tsv("train.tsv"), 1,
         "this machine has 0 MiB available"),
        ("memory huge model", ["env", "QKV_MEMORY_AVAILABLE_BYTES=8e9"] +
         given(tsv("train.tsv"), ("--d-model", "65536"), ("--ffn-dim", "65536")), 1, "GiB for weights, gradients and Adam"),
        ("memory huge batch", ["env", "QKV_MEMORY_AVAILABLE_BYTES=8e9"] +
         given(tsv("train.tsv"), ("--max-tokens", "100000000")), 1, "of activations for --max-tokens 100000000"),
        # Options: bad values and conflicts.
        ("allow-data-change without resume", tsv("train.tsv") + ["--allow-data-change"], 2,
         "--allow-data-change is for --resume"),
        ("bpe-merges without bpe", tsv("train.tsv") + ["--bpe-merges", "10"], 2, "--bpe-merges needs --tokenizer bpe"),
        ("tsv and pair", tsv("train.tsv") + ["--train-source", p("pair.en")], 2, "not both"),
        ("negative seed", tsv("train.tsv") + ["--seed", "-1"], 2, "--seed"),
        ("lr zero", tsv("train.tsv") + ["--lr", "0"], 1, "--lr"),
        ("lr nan", tsv("train.tsv") + ["--lr", "nan"], 1, "--lr"),
        ("warmup zero", given(tsv("train.tsv"), ("--warmup", "0")), 1, "--warmup"),
        ("beta2 one", tsv("train.tsv") + ["--beta2", "1"], 1, "--beta2"),
        ("label smoothing one", tsv("train.tsv") + ["--label-smoothing", "1"], 1, "--label-smoothing"),
        ("max-tokens tiny", given(tsv("train.tsv"), ("--max-tokens", "4")), 1, "--max-tokens"),
        ("epochs zero", tsv("train.tsv") + ["--epochs", "0"], 1, "--epochs"),
        ("heads not dividing", given(tsv("train.tsv"), ("--heads", "3")), 1, "heads"),
        ("cosine without decay", tsv("train.tsv") + ["--schedule", "cosine"], 1, "--decay-steps"),
        ("decay without cosine", tsv("train.tsv") + ["--decay-steps", "100"], 1, "--decay-steps"),
        ("unknown flag", tsv("train.tsv") + ["--learning-rate", "1"], 2, "--learning-rate"),
        ("unknown tokenizer", given(tsv("train.tsv"), ("--tokenizer", "spm")), 2, "unknown tokenizer 'spm'"),
        ("rnn option on transformer", tsv("train.tsv") + ["--rnn-cell", "lstm"], 2, "it needs --arch rnn"),
        ("missing config", tsv("train.tsv") + ["--config", p("missing.toml")], 2, "--config"),
        ("out-dir holds a run", [s.qkv, "train", "--train-tsv", p("train.tsv"), "--valid-tsv", p("valid.tsv"), *s.tiny,
                                 "--out-dir", p("run")], 1, "already holds a run"),
        ("init-from missing", tsv("train.tsv") + ["--init-from", p("missing.safetensors")], 2, "--init-from"),
        ("init-from corrupt", tsv("train.tsv") + ["--init-from", bad("source_vocab")], 1, "model.source_vocab"),
        # Resuming: what the file is, and different data.
        ("resume epoch snapshot", resume(p("run", "epoch-001.safetensors")), 1,
         f"it is an epoch snapshot (the weights after epoch 1, written by --keep-checkpoints for qkv average) and "
         f"holds no optimizer state; resume the run from {p('run', 'last.safetensors')}"),
        ("resume average", resume(p("avg.safetensors")), 1, "it is an average of checkpoints"),
        ("resume changed train data", resume(p("edited_t", "last.safetensors")), 1,
         f"its data changed since it was written: --train-tsv '{p('edited_train.tsv')}' is now"),
        ("resume changed valid data", resume(p("edited_v", "last.safetensors")), 1,
         f"--valid-tsv '{p('edited_valid.tsv')}' is now"),
        ("resume finished run", [s.qkv, "train", "--resume", last], 1, "--epochs"),
        ("resume model option", resume(last, "--d-model", "32"), 2, "--d-model cannot change when resuming"),
        ("resume missing", resume(p("run", "nope.safetensors")), 1, "nope.safetensors"),
        # Inconsistent checkpoints: every invariant names the key or tensor and both values.
        ("ckpt source vocab", resume(bad("source_vocab")), 1, "source.vocab has 14 tokens but model.source_vocab is 15"),
        ("ckpt target vocab", resume(bad("target_vocab")), 1, "target.vocab has 14 tokens but model.target_vocab is 13"),
        ("ckpt vocab text", resume(bad("vocab_text")), 1, "source.vocab has 15 tokens but model.source_vocab is 14"),
        ("ckpt d_model", resume(bad("d_model")), 1,
         "tensor 'model/source_embedding.weight' has shape [14, 16] but the metadata says [14, 32]"),
        ("ckpt dtype", resume(bad("dtype")), 1, "is float32 but model.dtype is float64"),
        ("ckpt spaced token", resume(bad("spaced_token")), 1, "('a b') holds whitespace"),
        ("ckpt negative step", resume(bad("step")), 1, "state.step is -1, must be >= 0"),
        ("ckpt negative epoch", resume(bad("epoch")), 1, "state.epoch is -3, must be >= 0"),
        ("ckpt negative batch", resume(bad("batch")), 1, "state.batch_in_epoch is -1"),
        ("ckpt negative tokens", resume(bad("tokens")), 1, "state.target_tokens is -5"),
        ("ckpt nan seconds", resume(bad("seconds")), 1, "state.train_seconds"),
        ("ckpt best epoch", resume(bad("best_epoch")), 1, "state.best_epoch is 7, must be in -1..state.epoch (1)"),
        ("ckpt best bleu", resume(bad("best_bleu")), 1, "state.best_bleu is 250"),
        ("ckpt optimizer steps", resume(bad("optim_step")), 1,
         "tensor 'optim/param.0.step' counts 1000 optimizer steps but metadata state.step is 7"),
        ("ckpt format", resume(bad("format")), 1, "format 'qkv-training-checkpoint-9'"),
        ("ckpt empty format", resume(bad("no_format")), 1, "format ''"),
        ("ckpt tokenizer", resume(bad("tokenizer")), 1, "source text pipeline is unreadable"),
        ("ckpt specials", resume(bad("unsorted_specials")), 1, "must be the special '<pad>'"),
        ("ckpt arch", resume(bad("arch")), 1, "lstm"),
        ("ckpt lr text", resume(bad("lr")), 1, "abc"),
        ("ckpt no optimizer", resume(bad("no_optim")), 1, "optim"),
        ("ckpt truncated", resume(bad("truncated")), 1, "truncated.safetensors"),
        ("ckpt text", resume(bad("text")), 1, "text.safetensors"),
        # translate and eval load with the same checks; their inputs are read with the same rules.
        ("translate vocab mismatch", translate(bad("source_vocab")), 1, "model.source_vocab is 15"),
        ("translate d_model", translate(bad("d_model")), 1, "model/source_embedding.weight"),
        ("translate truncated", translate(bad("truncated")), 1, "truncated.safetensors"),
        ("translate missing model", translate(p("missing.safetensors")), 1, "missing.safetensors"),
        ("translate directory model", translate(p("a_directory")), 1, "a_directory"),
        ("translate NUL input", translate(last, "--input", p("nul.txt")), 1, "nul.txt' line 1: control character"),
        ("translate missing input", translate(last, "--input", p("missing.txt")), 1, "missing.txt"),
        ("translate beam zero", translate(last, "--beam", "0"), 1, "--beam"),
        ("translate beam huge", translate(last, "--beam", "100000000000"), 1, "--beam"),
        ("translate length penalty nan", translate(last, "--length-penalty", "nan"), 1, "--length-penalty"),
        ("translate output into missing dir", translate(last, "--output", p("nodir", "out.txt")), 1, "nodir"),
        ("eval NUL hypothesis", [s.qkv, "eval", "--hypothesis", p("nul.txt"), "--reference", p("hyp.txt")], 1,
         "control character U+0000"),
        ("eval line counts", [s.qkv, "eval", "--hypothesis", p("hyp.txt"), "--reference", p("pair.en")], 1, "2"),
        ("eval missing reference", [s.qkv, "eval", "--hypothesis", p("hyp.txt"), "--reference", p("missing.txt")], 1,
         "missing.txt"),
        ("eval corrupt model", [s.qkv, "eval", "--model", bad("target_vocab"), "--source", p("hyp.txt"), "--reference",
                                p("hyp.txt")], 1, "model.target_vocab is 13"),
        ("eval unknown tokenize", [s.qkv, "eval", "--hypothesis", p("hyp.txt"), "--reference", p("hyp.txt"),
                                   "--tokenize", "intl"], 2, "--tokenize"),
        # average: never replaces an input; refuses mismatched or broken inputs.
        ("average onto input", [s.qkv, "average", "-o", last, last, p("run", "epoch-001.safetensors")], 1, last),
        ("average onto input overwrite", [s.qkv, "average", "--overwrite", "-o", last, last,
                                          p("run", "epoch-001.safetensors")], 1, last),
        ("average different models", [s.qkv, "average", "-o", p("out.safetensors"), last,
                                      p("wide", "last.safetensors")], 1, "are not the same model: metadata 'model.d_model' differs ('16' vs '32')"),
        ("average corrupt input", [s.qkv, "average", "-o", p("out.safetensors"), last, bad("truncated")], 1,
         "truncated.safetensors"),
        ("average missing input", [s.qkv, "average", "-o", p("out.safetensors"), last, p("missing.safetensors")], 2,
         "File does not exist"),
        ("average existing output", [s.qkv, "average", "-o", p("hyp.txt"), last, p("run", "epoch-001.safetensors")], 1,
         "hyp.txt"),
    ]
    return r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkv", required=True)
    parser.add_argument("--list", action="store_true", help="print the rows and their count")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qkv-bad-") as tmp:
        s = Setup(a.qkv, tmp)
        table = rows(s)
        failures = []
        for name, argv, status, fragment in table:
            before = snapshot(tmp)
            p = subprocess.run(argv, input="a b c\n", capture_output=True, text=True, timeout=120)
            after = snapshot(tmp)
            problems = []
            if p.returncode != status:
                problems.append(f"exit {p.returncode}, expected {status}")
            if fragment not in p.stderr:
                problems.append(f"stderr lacks {fragment!r}")
            if after != before:
                changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
                problems.append(f"the tree changed: {changed}")
            if problems:
                failures.append(f"{name}: {'; '.join(problems)}\n    stderr: {p.stderr.strip()}")
            elif a.list:
                print(f"ok {name}: {p.stderr.strip()[:160]}")
        print(f"{len(table) - len(failures)} of {len(table)} bad inputs refused with nothing written")
        if failures:
            fail("\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
