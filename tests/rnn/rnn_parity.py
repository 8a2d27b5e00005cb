#!/usr/bin/python3
"""rnn parity: qkv's GRU and LSTM against torch.nn.GRU and torch.nn.LSTM (batch_first=True).

Same weights (torch's names), inputs and initial states in both; sequences with lengths go
through torch as pack_padded_sequence(enforce_sorted=False) and back with pad_packed_sequence.
Compared: the output at every non-padded position, h_n (and c_n), and the gradient of
Σ output·g + Σ h_n·g_h (+ Σ c_n·g_c) with respect to x, h0, c0 and every parameter, with the
harness's tolerances (tests/parity/parity_harness.py): 1e-10·max(1, |torch|) in float64;
1e-5·max(1, |torch|) in float32 plus twice torch's own error against a float64 run (capped at
10x). Run by ctest as rnn_parity; exits non-zero on any mismatch or if torch cannot be imported.
"""
import argparse
import copy
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from driver_process import report, run_driver_or_exit  # noqa: E402
from parity_harness import DTYPE_NAMES, TOLERANCE, allowance, compare, decode, encode, torch  # noqa: E402

from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

B, T, I, HD = 3, 5, 4, 6
SLACK_CAP = 10  # as parity_harness.Case: float32 slack is at most 10x the base allowance


def tensor_json(t):
    """{shape, data} (the dtype is the case's)."""
    e = encode(t)
    return {"shape": e["shape"], "data": e["data"]}


def run_torch(mode, rnn, x, h0, c0, lengths, grads):
    """(values, gradients) of one forward/backward in PyTorch; values: output, h_n[, c_n]."""
    x = x.detach().clone().requires_grad_()
    h0 = None if h0 is None else h0.detach().clone().requires_grad_()
    c0 = None if c0 is None else c0.detach().clone().requires_grad_()
    state = None
    if mode == "gru":
        state = h0
    elif h0 is not None:
        state = (h0, c0)
    if lengths is None:
        out, final = rnn(x, state)
    else:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, final = rnn(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    finals = [final] if mode == "gru" else list(final)
    loss = (out * grads[0]).sum() + sum((f * g).sum() for f, g in zip(finals, grads[1:]))
    loss.backward()
    values = {"output": out.detach(), "h_n": finals[0].detach()}
    if mode == "lstm":
        values["c_n"] = finals[1].detach()
    gradients = {"x": x.grad}
    if h0 is not None:
        gradients["h0"] = h0.grad
    if c0 is not None:
        gradients["c0"] = c0.grad
    for name, p in rnn.named_parameters():
        gradients[name] = p.grad
    return values, gradients


class RnnCase:
    def __init__(self, gen, mode, dtype, num_layers, bidirectional, bias, lengths, with_state):
        self.mode, self.dtype = mode, dtype
        self.name = (f"{mode} {DTYPE_NAMES[dtype]} layers={num_layers} bidirectional={bidirectional} "
                     f"bias={bias} lengths={lengths} h0={'given' if with_state else 'zeros'}")
        cls = torch.nn.GRU if mode == "gru" else torch.nn.LSTM
        rnn = cls(I, HD, num_layers, bias=bias, batch_first=True, bidirectional=bidirectional, dtype=torch.float64)
        with torch.no_grad():
            for p in rnn.parameters():
                p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 1.4 - 0.7)
        dirs = 2 if bidirectional else 1
        randn = lambda *shape: torch.randn(shape, generator=gen, dtype=torch.float64)
        x = randn(B, T, I)
        h0 = randn(num_layers * dirs, B, HD) if with_state else None
        c0 = randn(num_layers * dirs, B, HD) if with_state and mode == "lstm" else None
        # Positions past each sequence's length: not compared and given no output gradient.
        valid = torch.ones(B, T, 1, dtype=torch.bool)
        if lengths is not None:
            valid = (torch.arange(T).reshape(1, T) < torch.tensor(lengths).reshape(B, 1)).unsqueeze(2)
        self.valid = valid
        grads = [randn(B, T, dirs * HD) * valid, randn(num_layers * dirs, B, HD)]
        if mode == "lstm":
            grads.append(randn(num_layers * dirs, B, HD))

        # The reference in the case's dtype, and (for float32) the same in float64 to measure
        # PyTorch's own rounding error.
        narrow = lambda t: None if t is None else t.to(dtype)
        rnn_d = copy.deepcopy(rnn).to(dtype)
        self.want, self.want_grads = run_torch(mode, rnn_d, narrow(x), narrow(h0), narrow(c0), lengths,
                                               [narrow(g) for g in grads])
        self.float32 = dtype == torch.float32
        self.tol = TOLERANCE[dtype]
        if self.float32:
            exact, exact_grads = run_torch(mode, rnn, x, h0, c0, lengths, grads)
        else:
            exact, exact_grads = self.want, self.want_grads
        self.allowed = {k: self._allowance(self.want[k], exact[k]) for k in self.want}
        self.allowed_grads = {k: self._allowance(self.want_grads[k], exact_grads[k]) for k in self.want_grads}

        self.request = {
            "mode": mode,
            "config": {"input_size": I, "hidden_size": HD, "num_layers": num_layers,
                       "bidirectional": bidirectional, "bias": bias, "dtype": DTYPE_NAMES[dtype]},
            "params": {name: tensor_json(p.detach().to(dtype)) for name, p in rnn.named_parameters()},
            "x": tensor_json(narrow(x)),
            "grad_output": tensor_json(narrow(grads[0])),
            "grad_h_n": tensor_json(narrow(grads[1])),
        }
        if mode == "lstm":
            self.request["grad_c_n"] = tensor_json(narrow(grads[2]))
        if h0 is not None:
            self.request["h0"] = tensor_json(narrow(h0))
        if c0 is not None:
            self.request["c0"] = tensor_json(narrow(c0))
        if lengths is not None:
            self.request["lengths"] = {"shape": [B], "data": list(lengths)}

    def _allowance(self, want, exact):
        base = allowance(want, self.tol)
        if not self.float32:
            return base
        own_error = (want.detach().to(torch.float64) - exact.detach()).abs()
        return base + torch.minimum(2 * own_error, SLACK_CAP * base)

    def _got(self, j, mask=None):
        """qkv's reply tensor as the harness's {shape, dtype, data}, padded positions zeroed."""
        got, _ = decode(j)
        if mask is not None and list(got.shape)[:2] == [B, T]:
            got = got * mask
        return encode(got.to(self.dtype))

    def check(self, reply):
        """(mismatch messages, worst |qkv - PyTorch| / allowed)."""
        results = []
        for key, want in self.want.items():
            if key not in reply:
                results.append((f"{key}: missing from qkv's reply", math.inf))
                continue
            mask = self.valid if key == "output" else None
            want_masked = want * mask if mask is not None else want
            results.append(compare(key, self._got(reply[key], mask), want_masked, self.allowed[key]))
        got_grads = reply["grads"]
        for key in sorted(set(self.want_grads) | set(got_grads)):
            want = self.want_grads.get(key)
            got = got_grads.get(key)
            if key not in self.want_grads:
                results.append((f"grad of {key}: qkv gives one, PyTorch has no such input", math.inf))
                continue
            results.append(compare(f"grad of {key}", None if got is None else self._got(got), want,
                                   self.allowed_grads[key]))
        return [m for m, _ in results if m], max(r for _, r in results)


def cases():
    gen = torch.Generator().manual_seed(0)
    out = []
    for mode in ["gru", "lstm"]:
        for dtype in [torch.float64, torch.float32]:
            for bidirectional in [False, True]:
                for lengths in [None, [5, 2, 4]]:
                    # initial states given with lengths (where they matter most), zeros otherwise
                    out.append(RnnCase(gen, mode, dtype, 2, bidirectional, True, lengths, lengths is not None))
        # No bias, one sequence of length 1, and the full-length one first in the batch.
        out.append(RnnCase(gen, mode, torch.float64, 1, True, False, [1, 5, 3], True))
        out.append(RnnCase(gen, mode, torch.float64, 2, False, True, [5, 5, 5], False))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", required=True, help="path of the rnn_parity_driver executable")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--dump", help="save the request here, to replay: rnn_parity_driver < file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    all_cases = cases()
    request = {"cases": [c.request for c in all_cases]}
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump(request, f, allow_nan=False)
    reply = run_driver_or_exit("rnn parity", args.driver, request)
    outcomes = [(case.name, DTYPE_NAMES[case.dtype], *case.check(r)) for case, r in zip(all_cases, reply["results"])]
    failed = report("rnn parity", outcomes, lambda dtype: TOLERANCE[getattr(torch, dtype)], args.verbose)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
