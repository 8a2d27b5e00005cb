#!/usr/bin/python3
"""transformer_parity.py — qkv's Transformer against torch.nn.Transformer (+ embeddings, positions
and the output projection) on identical weights and inputs, in float64, with dropout 0:
logits, loss and EVERY parameter gradient must agree.

Configurations: post-norm (the paper; torch's final stack norms removed, since nn.Transformer
always adds them) and pre-norm (norm_first=True, with the final norms); untied, tied output, and
shared embeddings with learned positions. Inputs have padded source rows (src_key_padding_mask
and memory_key_padding_mask) and the causal target mask; padded target positions are ignored by
the loss (ignore_index 0).

torch's MultiheadAttention packs q, k and v into in_proj_weight (3E, E) / in_proj_bias (3E): they
are split into qkv's q_proj, k_proj and v_proj. Weights are torch's default initialisation
perturbed (LayerNorm weights and all biases randomised) so no parameter sits at a special value.

Run by ctest (label parity) as: transformer_parity.py --driver <seq2seq_parity binary>.
Fails, never skips, if torch is missing.
"""
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seq2seq_parity_io import compare_all, forward_backward, run_driver, run_suite  # noqa: E402

TOLERANCE = 1e-9  # |qkv - torch| <= TOLERANCE * max(1, |torch|), float64


def sinusoidal(max_positions, d):
    pe = torch.zeros(max_positions, d, dtype=torch.float64)
    pos = torch.arange(max_positions, dtype=torch.float64).unsqueeze(1)
    for j in range(d):
        angle = pos[:, 0] / (10000.0 ** ((j - j % 2) / d))
        pe[:, j] = torch.sin(angle) if j % 2 == 0 else torch.cos(angle)
    return pe


class TorchModel(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, self.cfg = cfg["d_model"], cfg
        self.src_emb = torch.nn.Embedding(cfg["source_vocab"], d)
        self.tgt_emb = self.src_emb if cfg["share_embeddings"] else torch.nn.Embedding(cfg["target_vocab"], d)
        self.transformer = torch.nn.Transformer(
            d_model=d, nhead=cfg["num_heads"], num_encoder_layers=cfg["encoder_layers"],
            num_decoder_layers=cfg["decoder_layers"], dim_feedforward=cfg["ffn_dim"], dropout=0.0,
            batch_first=True, norm_first=cfg["pre_norm"])
        if not cfg["pre_norm"]:  # the paper's post-norm stacks have no final LayerNorm
            self.transformer.encoder.norm = None
            self.transformer.decoder.norm = None
        self.generator = torch.nn.Linear(d, cfg["target_vocab"])
        if cfg["share_embeddings"] or cfg["tie_output"]:
            self.generator.weight = self.tgt_emb.weight
        if cfg["learned_positions"]:
            self.src_pos = torch.nn.Embedding(cfg["max_positions"], d)
            self.tgt_pos = torch.nn.Embedding(cfg["max_positions"], d)
        else:
            self.register_buffer("pe", sinusoidal(cfg["max_positions"], d))

    def positions(self, which, length):
        if self.cfg["learned_positions"]:
            return (self.src_pos if which == "src" else self.tgt_pos).weight[:length]
        return self.pe[:length]

    def forward(self, src, src_padding, tgt_in):
        scale = math.sqrt(self.cfg["d_model"])
        x = self.src_emb(src) * scale + self.positions("src", src.shape[1])
        y = self.tgt_emb(tgt_in) * scale + self.positions("tgt", tgt_in.shape[1])
        t = tgt_in.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)  # True = blocked
        h = self.transformer(x, y, tgt_mask=causal, src_key_padding_mask=src_padding,
                             memory_key_padding_mask=src_padding)
        return self.generator(h)


def qkv_names(model):
    """{qkv parameter name: (torch tensor, rows slice or None)} — the name map, with in_proj split."""
    out = {}
    d = model.cfg["d_model"]
    seen = set()
    for name, p in model.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        n = name.replace("transformer.", "", 1)
        n = n.replace("src_emb.", "source_embedding.").replace("tgt_emb.", "target_embedding.")
        n = n.replace("generator.", "output_projection.")
        n = n.replace("src_pos.", "source_positions.").replace("tgt_pos.", "target_positions.")
        n = n.replace(".multihead_attn.", ".cross_attn.")
        n = n.replace(".linear1.", ".ffn.linear1.").replace(".linear2.", ".ffn.linear2.")
        if n.startswith("target_embedding.") and model.cfg["share_embeddings"]:
            continue
        if n.endswith("in_proj_weight") or n.endswith("in_proj_bias"):
            base, kind = n.rsplit(".", 1)
            suffix = "weight" if kind == "in_proj_weight" else "bias"
            for i, part in enumerate("qkv"):
                out[f"{base}.{part}_proj.{suffix}"] = (p, slice(i * d, (i + 1) * d))
        else:
            out[n] = (p, None)
    return out


def run_case(driver, tmp, cfg, seed):
    torch.manual_seed(seed)
    model = TorchModel(cfg).double()
    inputs, logits, loss = forward_backward(model, cfg["source_vocab"], cfg["target_vocab"])

    names = qkv_names(model)
    tensors = {name: (p.detach()[rows] if rows is not None else p.detach()).contiguous()
               for name, (p, rows) in names.items()}
    tensors.update(inputs)
    got = run_driver(driver, tmp, tensors, cfg)
    grads = {name: (p.grad[rows] if rows is not None else p.grad) if p.grad is not None else None
             for name, (p, rows) in names.items()}
    worst = compare_all(got, logits, loss, grads, TOLERANCE)
    return worst, len(names)


def main():
    base = dict(source_vocab=17, target_vocab=19, d_model=16, num_heads=4, encoder_layers=2, decoder_layers=2,
                ffn_dim=24, dropout=0.0, attention_dropout=0.0, pre_norm=False, learned_positions=False,
                max_positions=32, share_embeddings=False, tie_output=False, self_attention="scaled_dot",
                cross_attention="scaled_dot", activation="relu", dtype="float64")
    cases = [
        ("post-norm, untied output", dict(base)),
        ("pre-norm, untied output", dict(base, pre_norm=True)),
        ("post-norm, tied output", dict(base, tie_output=True)),
        ("pre-norm, shared embeddings, learned positions",
         dict(base, pre_norm=True, share_embeddings=True, tie_output=True, learned_positions=True, target_vocab=17)),
    ]
    run_suite("transformer parity", cases, run_case, 100, lambda cfg: TOLERANCE)
    print("transformer parity: qkv matches torch.nn.Transformer")


if __name__ == "__main__":
    sys.exit(main())
