"""seq2seq_parity_io.py — what the translation-model parity scripts (transformer_parity.py,
rnn_seq2seq_parity.py) share: a padded batch, the round trip through the C++ driver
(tests/models/seq2seq_parity.cpp) and the comparison of logits, loss and every gradient."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "io"))
from safetensors_interop import read_safetensors, write_safetensors  # noqa: E402


def padded_batch(source_vocab, target_vocab):
    """src (3, 7) with 7, 4 and 2 real tokens, then pad 0; tgt_in/tgt_out (3, 6) with padded tails."""
    B, S, T = 3, 7, 6
    lengths = [7, 4, 2]
    src = torch.randint(4, source_vocab, (B, S))
    src_padding = torch.tensor([[s >= n for s in range(S)] for n in lengths])
    src = src.masked_fill(src_padding, 0)
    tgt_in = torch.randint(4, target_vocab, (B, T))
    tgt_in[:, 0] = 2
    tgt_out = torch.randint(4, target_vocab, (B, T))
    tgt_out[1, 4:] = 0  # padded target positions
    tgt_in[1, 5:] = 0
    tgt_out[2, 2:] = 0
    tgt_in[2, 3:] = 0
    return src, src_padding, tgt_in, tgt_out


def forward_backward(model, source_vocab, target_vocab):
    """Moves every 1-D parameter (biases, scales) off its initial value, so none sits at a special
    one, runs padded_batch through model(src, src_padding, tgt_in) and backward of the mean cross
    entropy (ignore_index 0). Returns (the inputs by name, logits, loss)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    src, src_padding, tgt_in, tgt_out = padded_batch(source_vocab, target_vocab)
    logits = model(src, src_padding, tgt_in)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, target_vocab), tgt_out.reshape(-1), ignore_index=0)
    loss.backward()
    return {"src": src, "src_padding": src_padding, "tgt_in": tgt_in, "tgt_out": tgt_out}, logits, loss


def run_driver(driver, tmp, tensors, config):
    """Writes tensors (weights and inputs) with config as metadata, runs the driver, returns its tensors."""
    meta = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in config.items()}
    in_path, out_path = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
    write_safetensors(in_path, tensors, meta)
    result = subprocess.run([driver, in_path, out_path], capture_output=True, text=True)
    assert result.returncode == 0, f"driver failed:\n{result.stderr}"
    got, _, _ = read_safetensors(out_path)
    return got


def compare_all(got, logits, loss, grads, tolerance):
    """Asserts |qkv - torch| <= tolerance · max(1, |torch|) for logits, loss and grads {name: torch
    gradient}, and that qkv has exactly those gradients; returns the worst relative difference."""
    worst = 0.0

    def compare(what, mine, ref):
        nonlocal worst
        ref = ref.detach().numpy()
        assert mine.shape == ref.shape, f"{what}: shape {mine.shape} != torch {ref.shape}"
        err = np.max(np.abs(mine - ref) / np.maximum(1.0, np.abs(ref))) if ref.size else 0.0
        assert err <= tolerance, f"{what}: max relative difference {err:.3e} > {tolerance}"
        worst = max(worst, err)

    compare("logits", got["logits"], logits)
    compare("loss", got["loss"], loss)
    mine = [k for k in got if k.startswith("grad.")]
    assert len(mine) == len(grads), f"qkv has {len(mine)} parameters, the torch model {len(grads)}"
    for name, ref in grads.items():
        assert ref is not None, f"torch gave no gradient for {name}"
        compare("grad of " + name, got["grad." + name], ref)
    return worst


def run_suite(name, cases, run_case, first_seed, tolerance):
    """Reads --driver from the command line, then runs run_case(driver, tmp, cfg, seed) → (worst
    difference, parameter count) for every (label, cfg) in cases, printing one line each;
    tolerance(cfg) is the case's tolerance, for the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, cfg) in enumerate(cases):
            worst, count = run_case(args.driver, tmp, cfg, seed=first_seed + i)
            print(f"{name} [{label}]: logits, loss and {count} parameter gradients agree "
                  f"(worst {worst:.2e} relative, tolerance {tolerance(cfg):g})")
