#!/usr/bin/python3
"""rnn_seq2seq_parity.py — qkv's recurrent encoder–decoder with attention (models/rnn_seq2seq.h)
against its PyTorch twin (torch_rnn_seq2seq.py, beside this file: torch.nn.GRU/LSTM on packed
sequences, nn.GRUCell/LSTMCell, the attention written out in torch) on identical weights and
inputs, with dropout 0: logits, loss and EVERY parameter gradient must agree.

Cases: GRU and LSTM cells with the three classic match functions — additive (vᵀ tanh(W_q z +
W_k h)), bilinear (zᵀ W h) and cosine — across a bidirectional two-layer or a unidirectional
encoder, one or two decoder layers, a decoder width equal to the keys' or projected to it, tied or
untied output. In float64 (tolerance 1e-9) and, for two of them, float32 (1e-5: rounding of
float32 sums through the recurrence). Inputs have padded source rows (packed sequences in torch,
lengths in qkv; masked attention in both) and padded target positions (ignore_index 0).

The twin's parameter names are qkv's, so the weights go over without a name map. Every 1-D
parameter (biases, v, log_scale) is moved off its initial value (seq2seq_parity_io.py).

Run by ctest (label parity) as: rnn_seq2seq_parity.py --driver <seq2seq_parity binary>.
Fails, never skips, if torch is missing.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from seq2seq_parity_io import compare_all, forward_backward, run_driver, run_suite  # noqa: E402
from torch_rnn_seq2seq import RnnSeq2Seq  # noqa: E402

TOLERANCE = {"float64": 1e-9, "float32": 1e-5}  # |qkv - torch| <= TOLERANCE · max(1, |torch|)


def run_case(driver, tmp, cfg, seed):
    torch.manual_seed(seed)
    model = RnnSeq2Seq(cfg["source_vocab"], cfg["target_vocab"], cell=cfg["cell"], emb=cfg["embedding_dim"],
                       enc_hidden=cfg["encoder_hidden"], enc_layers=cfg["encoder_layers"],
                       bidirectional=cfg["bidirectional"], dec_hidden=cfg["decoder_hidden"],
                       dec_layers=cfg["decoder_layers"], attention=cfg["attention"], dropout=cfg["dropout"],
                       tie_output=cfg["tie_output"])
    model = model.double() if cfg["dtype"] == "float64" else model.float()
    inputs, logits, loss = forward_backward(model, cfg["source_vocab"], cfg["target_vocab"])

    params = dict(model.named_parameters())
    tensors = {name: p.detach().contiguous() for name, p in params.items()}
    tensors.update(inputs)
    got = run_driver(driver, tmp, tensors, dict(cfg, arch="rnn"))
    worst = compare_all(got, logits, loss, {name: p.grad for name, p in params.items()}, TOLERANCE[cfg["dtype"]])
    return worst, len(params)


def main():
    base = dict(source_vocab=17, target_vocab=19, cell="gru", embedding_dim=5, encoder_hidden=3, encoder_layers=2,
                bidirectional=True, decoder_hidden=5, decoder_layers=1, attention="additive", dropout=0.0,
                tie_output=False, dtype="float64")
    cases = [
        ("GRU, additive, projected queries, untied", dict(base)),
        ("GRU, bilinear, 2 decoder layers, tied", dict(base, attention="bilinear", decoder_hidden=6, decoder_layers=2,
                                                        tie_output=True)),
        ("GRU, cosine, unidirectional encoder, tied", dict(base, attention="cosine", bidirectional=False,
                                                           encoder_layers=1, decoder_hidden=4, tie_output=True)),
        ("LSTM, additive, 2 decoder layers", dict(base, cell="lstm", decoder_hidden=6, decoder_layers=2)),
        ("LSTM, bilinear, projected queries, tied", dict(base, cell="lstm", attention="bilinear", tie_output=True)),
        ("LSTM, cosine, unidirectional encoder", dict(base, cell="lstm", attention="cosine", bidirectional=False)),
        ("GRU, additive, float32", dict(base, dtype="float32")),
        ("LSTM, cosine, 2 decoder layers, float32", dict(base, cell="lstm", attention="cosine", decoder_layers=2,
                                                         dtype="float32")),
    ]
    run_suite("rnn seq2seq parity", cases, run_case, 200, lambda cfg: TOLERANCE[cfg["dtype"]])
    print("rnn seq2seq parity: qkv's RnnSeq2Seq matches its PyTorch twin")


if __name__ == "__main__":
    sys.exit(main())
