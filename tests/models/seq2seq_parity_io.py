"""seq2seq_parity_io.py — what the translation-model parity scripts (transformer_parity.py,
rnn_seq2seq_parity.py) share: a padded batch, the round trip through the C++ driver
(tests/models/seq2seq_parity.cpp) and the comparison of logits, loss and every gradient."""
import os
import subprocess
import sys

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
