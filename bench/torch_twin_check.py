# torch_twin_check.py — checks that bench/torch_seq2seq.py really is qkv's Transformer: loads a
# checkpoint written by `qkv train` into the PyTorch twin (q/k/v projections packed into torch's
# in_proj, the output projection tied to the target embedding) and compares greedy translations
# of the same sentences with `qkv translate` on the same checkpoint. Identical outputs mean the
# same embedding scale, positions, post-norm wiring, masks, tied projection with bias, and the
# same greedy decoding rules (step limit, eos) as the PyTorch trainer uses.
#
#   build/qkv train --max-steps 60 --valid-sentences 5 --out-dir /tmp/twin      # any checkpoint
#   /usr/bin/python3 bench/torch_twin_check.py /tmp/twin/last.safetensors [--sentences 200] [--qkv build/qkv]
#
# Exits 1 if fewer than 99% of the translations are identical (float32 rounding can flip a rare
# near-tie of the argmax, which then changes the rest of that sentence). Only checkpoints with
# the twin's architecture are accepted: post-norm, sinusoidal positions, separate embeddings,
# tied output, ReLU, scaled_dot attention. A check for people, not a test of the suite.
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_seq2seq import Seq2Seq, sinusoidal_table  # noqa: E402
from torch_train_multi30k import PAD, BOS, EOS, UNK, greedy_translate, read_lines, tokenize  # noqa: E402

warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors")

REQUIRED = {"model.pre_norm": "false", "model.learned_positions": "false", "model.share_embeddings": "false",
            "model.tie_output": "true", "model.activation": "relu", "model.self_attention": "scaled_dot",
            "model.cross_attention": "scaled_dot", "model.dtype": "float32"}


class Checkpoint:
    """The tensors and metadata of a safetensors file (8-byte header length, JSON header, data)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            self.header = json.loads(f.read(n))
            self.data = f.read()
        self.meta = self.header.get("__metadata__", {})

    def tensor(self, name):
        entry = self.header["model/" + name]
        if entry["dtype"] != "F32":
            raise SystemExit(f"torch_twin_check: {name} is {entry['dtype']}, expected F32")
        a, b = entry["data_offsets"]
        return torch.from_numpy(np.frombuffer(self.data[a:b], dtype=np.float32).reshape(entry["shape"]).copy())


def load_twin(ckpt):
    for key, value in REQUIRED.items():
        if ckpt.meta.get(key) != value:
            raise SystemExit(f"torch_twin_check: the checkpoint has {key} = {ckpt.meta.get(key)}, the twin needs {value}")
    g = lambda key: int(ckpt.meta["model." + key])  # noqa: E731
    enc, dec = g("encoder_layers"), g("decoder_layers")
    model = Seq2Seq(g("source_vocab"), g("target_vocab"), g("d_model"), g("num_heads"), enc, dec, g("ffn_dim"),
                    max_len=g("max_positions"))
    pe = ckpt.tensor("positional_encoding")
    if not torch.allclose(pe, sinusoidal_table(pe.size(0), pe.size(1)), atol=1e-6):
        raise SystemExit("torch_twin_check: the checkpoint's sinusoidal table differs from the twin's")
    state = {"src_emb.weight": ckpt.tensor("source_embedding.weight"),
             "tgt_emb.weight": ckpt.tensor("target_embedding.weight"),
             "out_bias": ckpt.tensor("output_projection.bias")}
    stacks = (("encoder", enc, [("self_attn", "self_attn")], 2),
              ("decoder", dec, [("self_attn", "self_attn"), ("cross_attn", "multihead_attn")], 3))
    for stack, layers, attentions, norms in stacks:
        for i in range(layers):
            q, t = f"{stack}.layers.{i}.", f"core.{stack}.layers.{i}."
            for qkv_name, torch_name in attentions:
                a = q + qkv_name
                state[t + torch_name + ".in_proj_weight"] = torch.cat([ckpt.tensor(f"{a}.{p}_proj.weight") for p in "qkv"])
                state[t + torch_name + ".in_proj_bias"] = torch.cat([ckpt.tensor(f"{a}.{p}_proj.bias") for p in "qkv"])
                state[t + torch_name + ".out_proj.weight"] = ckpt.tensor(f"{a}.out_proj.weight")
                state[t + torch_name + ".out_proj.bias"] = ckpt.tensor(f"{a}.out_proj.bias")
            for k in (1, 2):
                state[t + f"linear{k}.weight"] = ckpt.tensor(q + f"ffn.linear{k}.weight")
                state[t + f"linear{k}.bias"] = ckpt.tensor(q + f"ffn.linear{k}.bias")
            for k in range(1, norms + 1):
                state[t + f"norm{k}.weight"] = ckpt.tensor(q + f"norm{k}.weight")
                state[t + f"norm{k}.bias"] = ckpt.tensor(q + f"norm{k}.bias")
    model.load_state_dict(state, strict=True)  # every twin parameter filled, nothing left over
    return model


def main():
    p = argparse.ArgumentParser(description="Compare the PyTorch twin with qkv translate on one checkpoint.")
    p.add_argument("checkpoint")
    p.add_argument("--source", default="data/multi30k/test_2016_flickr.en")
    p.add_argument("--sentences", type=int, default=200)
    p.add_argument("--qkv", default="build/qkv", help="the qkv command line")
    args = p.parse_args()

    ckpt = Checkpoint(args.checkpoint)
    model = load_twin(ckpt)
    source_vocab = [t for t in ckpt.meta["source.vocab"].split("\n") if t]
    target_vocab = [t for t in ckpt.meta["target.vocab"].split("\n") if t]
    stoi = {t: i for i, t in enumerate(source_vocab)}
    lines = read_lines(args.source)[:args.sentences]

    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "src"), os.path.join(tmp, "out")
        with open(src, "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
        subprocess.run([args.qkv, "translate", "--model", args.checkpoint, "--input", src, "--output", out], check=True)
        theirs = read_lines(out)

    ids = greedy_translate(model, [[stoi.get(w, UNK) for w in tokenize(line)] for line in lines], 2048,
                           int(ckpt.meta["model.max_positions"]))
    mine = [" ".join(target_vocab[i] for i in h if i not in (PAD, BOS, EOS)) for h in ids]
    same = sum(a == b for a, b in zip(mine, theirs, strict=True))
    print(f"torch twin vs qkv translate: {same}/{len(mine)} greedy translations identical")
    for k, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            print(f"  line {k + 1}:\n    torch {a}\n    qkv   {b}")
    sys.exit(0 if same >= 0.99 * len(mine) else 1)


if __name__ == "__main__":
    main()
